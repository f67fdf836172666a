"""`huiying` commands on a database that was never migrated: a clear Chinese message, no traceback.

``huiying deadline`` still answers, from the holiday data built into chinesecalendar. The
commands run as a person would run them: the real CLI in a child process, on a fresh empty
SQLite file.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from huiying.common.management.commands._database import database_problem

REPO = Path(__file__).resolve().parents[3]
NOT_INITIALISED = "数据库尚未初始化；请先运行 huiying migrate。"


@pytest.fixture(scope="module")
def empty_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    var = tmp_path_factory.mktemp("unmigrated")
    env = {
        **os.environ,
        "HUIYING_VAR_DIR": str(var),
        "DATABASE_URL": f"sqlite:///{var}/never-migrated.sqlite3",  # sqlite:////abs/path
        "HUEY_SQLITE_PATH": str(var / "queue.sqlite3"),
    }
    env.pop("HUEY_REDIS_URL", None)
    return env


DEADLINE = ("deadline", "--start", "2026-09-30T16:00", "--working-hours", "8")
REFUSING = {
    "holidays status": ("holidays", "status"),
    "audit verify": ("audit", "verify"),
    "directory export": ("directory", "export"),
    "sources list": ("sources", "list"),
    "users grant": ("users", "grant", "someone", "nt-cac:monitor"),
    "collect": ("collect", "--once"),
    "import-items": ("import-items", "--source", "weibo", "items.json"),
}


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture(scope="module")
def ran(empty_env: dict[str, str]) -> dict[str, Ran]:
    """Every command once, side by side (each is a whole Django start-up)."""
    commands = {"deadline": DEADLINE, **REFUSING}
    processes = {
        name: subprocess.Popen(
            [sys.executable, "-m", "huiying.cli", *args],
            cwd=REPO,
            env=empty_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name, args in commands.items()
    }
    results = {}
    for name, process in processes.items():
        stdout, stderr = process.communicate(timeout=180)
        results[name] = Ran(process.returncode, stdout, stderr)
    return results


def test_deadline_works_from_the_built_in_calendar(ran: dict[str, Ran]) -> None:
    done = ran["deadline"]
    assert done.returncode == 0, done.stderr
    # National Day week (chinesecalendar): 8 working hours from 16:00 on 30 September.
    assert done.stdout == "2026-10-08T16:30:00+08:00\n"
    assert "数据库尚未初始化，按内置节假日数据计算；请先运行 huiying migrate" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("name", sorted(REFUSING))
def test_commands_say_the_database_is_not_initialised(ran: dict[str, Ran], name: str) -> None:
    done = ran[name]
    assert done.returncode == 1, done.stderr
    assert NOT_INITIALISED in done.stderr
    assert "Traceback" not in done.stderr and "no such table" not in done.stderr
    assert done.stdout == ""


def test_a_migrated_database_has_no_problem(db: None) -> None:
    assert database_problem() is None
