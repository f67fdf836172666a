"""What the benchmarks share: their scratch databases and how they summarise timings."""

from __future__ import annotations

import os
import statistics
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var" / "bench"
PG_SERVER = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/")


def remove_sqlite(path: Path) -> None:
    """Delete an SQLite file and its journal files."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(str(path) + suffix).unlink(missing_ok=True)


def database_url(kind: str, name: str, *, fresh: bool = True) -> str:
    """DATABASE_URL of the bench database ``name``: var/bench/<name>.sqlite3 or a PostgreSQL
    database on BENCH_PG_URL; ``fresh`` drops what an earlier run left."""
    if kind == "sqlite":
        path = VAR / f"{name}.sqlite3"
        if fresh:
            remove_sqlite(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{path}"
    import psycopg

    with psycopg.connect(PG_SERVER.rstrip("/") + "/postgres", autocommit=True) as conn:
        if fresh:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not conn.execute("select 1 from pg_database where datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    return PG_SERVER.rstrip("/") + "/" + name


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def summary(values: list[float], unit: str = "ms", digits: int = 1) -> str:
    """``p50 …, p95 …, max …`` of a list of timings."""
    f = f"{{:.{digits}f}} {unit}"
    return (
        f"p50 {f.format(statistics.median(values))}, p95 {f.format(p95(values))}, "
        f"max {f.format(max(values))}"
    )


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process on this machine has used so far (from /proc; 0.0
    where /proc is unavailable). Used to tell a benchmark's own cost from a busy machine's."""
    import os

    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # Fields after the command name: state is [0], utime [11], stime [12] (proc(5)).
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
