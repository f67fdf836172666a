"""`huiying serve` as a real process: it answers HTTP, and it stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _huiying(*args: str) -> list[str]:
    # The console script is `huiying = huiying.cli:main`; run the same function with this Python.
    return [sys.executable, "-m", "huiying.cli", *args]


@pytest.fixture(scope="module")
def site_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Environment of a fresh installation: its own var dir and a migrated SQLite database."""
    var = tmp_path_factory.mktemp("serve-var")
    env = {
        **os.environ,
        "HUIYING_VAR_DIR": str(var),
        "DATABASE_URL": f"sqlite:///{var}/db.sqlite3",  # sqlite:////abs/path
        "HUEY_SQLITE_PATH": str(var / "queue.sqlite3"),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("HUEY_REDIS_URL", None)
    env.pop("HUEY_IMMEDIATE", None)
    subprocess.run(
        _huiying("migrate", "--no-input", "-v", "0"), cwd=REPO, env=env, check=True, timeout=300
    )
    return env


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return int(r.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


@pytest.fixture
def server(
    request: pytest.FixtureRequest, site_env: dict[str, str], tmp_path: Path
) -> Iterator[tuple[subprocess.Popen[bytes], str, Path]]:
    port = _free_port()
    log = tmp_path / "serve.log"
    extra: list[str] = getattr(request, "param", [])
    with log.open("wb") as out:
        proc = subprocess.Popen(
            _huiying("serve", "--port", str(port), *extra),
            cwd=REPO,
            env=site_env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            yield proc, f"http://127.0.0.1:{port}", log
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)


def _wait_until_up(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"huiying serve exited with {proc.returncode}:\n{log.read_text()}")
        try:
            return _get(url)
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    pytest.fail(f"huiying serve did not answer within {timeout}s:\n{log.read_text()}")


def _stop(proc: subprocess.Popen[bytes], log: Path) -> str:
    proc.send_signal(signal.SIGTERM)
    try:
        rc = proc.wait(30)
    except subprocess.TimeoutExpired:
        pytest.fail(f"huiying serve did not stop on SIGTERM:\n{log.read_text()}")
    text = log.read_text()
    assert rc == 0, text
    assert "已停止" in text
    return text


@pytest.mark.parametrize("server", [["--no-worker"]], indirect=True)
def test_serve_without_worker_answers_the_login_page(
    server: tuple[subprocess.Popen[bytes], str, Path],
) -> None:
    proc, url, log = server
    assert _wait_until_up(f"{url}/accounts/login/", proc, log) == 200
    # Static files come from the finders through WhiteNoise: no collectstatic step.
    assert _get(f"{url}/static/admin/css/base.css") == 200
    text = _stop(proc, log)
    assert "网页服务已启动" in text
    assert "后台任务队列已启动" not in text


def test_serve_with_in_process_worker_stops_cleanly(
    server: tuple[subprocess.Popen[bytes], str, Path],
) -> None:
    proc, url, log = server
    assert _wait_until_up(f"{url}/accounts/login/", proc, log) == 200
    text = _stop(proc, log)
    assert "后台任务队列已启动" in text
    assert "后台任务队列已停止" in text
