"""The task queue: durable across restarts, and what happens when a worker dies mid-task.

What huey guarantees (huey 2.x/3.x, SqliteHuey and RedisHuey alike): an enqueued message is
stored durably (a row in the SQLite file, a list entry in Redis) until a worker takes it. Taking
it is a delete (``DELETE ... RETURNING`` / ``RPOP``), so delivery is **at most once**: a worker
killed while running a task loses that message, nothing re-delivers it. Huey only emits an
"interrupted" signal on an orderly stop.

Our answer is that every job is idempotent and periodic: the scheduler enqueues collection,
reminders and the like again on its next tick, and a rerun of a job that was cut short
completes the work without doubling what the first run already did (upserts keyed on natural
ids, "if not yet done" checks). These tests pin both halves down, on a real SQLite file and on
the real Redis at 127.0.0.1:6379.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from huey import RedisHuey, SqliteHuey, crontab

from huiying.common.management.commands._runtime import BackgroundConsumer

REDIS_URL = os.environ.get("HUIYING_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
BATCH = 10


# --- the jobs: plain functions registered on each fresh Huey instance ---------------------------
# Registered per instance (not with a module-level decorator) so that a "restarted" process can
# build a new Huey on the same storage; the names match because the functions are the same.


def _effects(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=10)
    conn.execute("create table if not exists runs (job text, at real)")
    conn.execute("create table if not exists done (key text primary key)")
    return conn


def record_run(effects: str, job: str) -> None:
    """Not idempotent on purpose: one row per execution, so the test can count executions."""
    with _effects(effects) as conn:
        conn.execute("insert into runs values (?, ?)", (job, time.time()))


def process_batch(effects: str, job: str, size: int, pause: float) -> None:
    """Idempotent: each unit of work is keyed, so a rerun skips what is already done."""
    record_run(effects, job)
    for i in range(size):
        with _effects(effects) as conn:
            conn.execute("insert or ignore into done values (?)", (f"{job}-{i:03d}",))
        time.sleep(pause)


def make_huey(kind: str, name: str, location: str) -> tuple[Any, dict[str, Any]]:
    """A Huey on the given storage and its task wrappers (calling one enqueues the job)."""
    huey: Any
    if kind == "sqlite":
        huey = SqliteHuey(name=name, filename=location)
    else:
        huey = RedisHuey(name=name, url=location)
    tasks = {f.__name__: huey.task()(f) for f in (record_run, process_batch)}
    return huey, tasks


def consume_forever(kind: str, name: str, location: str) -> None:
    """The child "worker process" of the kill test: huey's own consumer, in the foreground."""
    huey, _tasks = make_huey(kind, name, location)
    huey.create_consumer(workers=1, periodic=False).run()


# --- helpers ----------------------------------------------------------------------------------


def _count(effects: Path, sql: str, *params: object) -> int:
    if not effects.exists():
        return 0
    with sqlite3.connect(effects, timeout=10) as conn:
        try:
            return int(conn.execute(sql, params).fetchone()[0])
        except sqlite3.OperationalError:  # tables not created yet
            return 0


def _wait_for(predicate: Callable[[], bool], timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def _redis_available() -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.ConnectionError as exc:  # say what is missing instead of a long traceback
        pytest.fail(f"Redis is not reachable at {REDIS_URL} (run script/ensure-services): {exc}")


@pytest.fixture(params=["sqlite", "redis"])
def queue(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str, str]]:
    """(kind, queue name, location): a temp SQLite file, or a unique queue on the real Redis."""
    name = f"huiying-test-{uuid.uuid4().hex[:12]}"
    if request.param == "sqlite":
        yield "sqlite", name, str(tmp_path / "queue.sqlite3")
        return
    _redis_available()
    yield "redis", name, REDIS_URL
    make_huey("redis", name, REDIS_URL)[0].storage.flush_all()


# --- tests ----------------------------------------------------------------------------------


def test_enqueued_task_survives_a_restart_and_runs_once(
    queue: tuple[str, str, str], tmp_path: Path
) -> None:
    kind, name, location = queue
    effects = tmp_path / "effects.sqlite3"
    first, first_tasks = make_huey(kind, name, location)
    first_tasks["record_run"](str(effects), "a")
    assert first.pending_count() == 1
    first.storage.close()
    del first  # the process that enqueued is gone

    second, _ = make_huey(kind, name, location)  # a new process on the same storage
    assert second.pending_count() == 1, "the message must still be in the queue after a restart"
    consumer = BackgroundConsumer(huey=second, workers=1, periodic=False)
    consumer.start()
    try:
        assert _wait_for(lambda: _count(effects, "select count(*) from runs") >= 1)
        time.sleep(0.5)  # give a wrongly duplicated delivery the chance to show up
    finally:
        assert consumer.stop()
    assert _count(effects, "select count(*) from runs where job='a'") == 1
    assert second.pending_count() == 0


def test_killed_worker_loses_its_message_and_an_idempotent_rerun_does_not_double(
    queue: tuple[str, str, str], tmp_path: Path
) -> None:
    kind, name, location = queue
    effects = tmp_path / "effects.sqlite3"
    huey, tasks = make_huey(kind, name, location)
    tasks["process_batch"](str(effects), "batch", BATCH, 0.15)

    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from huiying.common.tests.test_ops_worker import consume_forever; "
            "consume_forever(*sys.argv[1:])",
            kind,
            name,
            location,
        ],
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert _wait_for(lambda: _count(effects, "select count(*) from done") >= 3, 30)
    finally:
        child.send_signal(signal.SIGKILL)  # the worker process dies mid-task: no cleanup at all
        child.wait(10)
    partial = _count(effects, "select count(*) from done")
    assert 3 <= partial < BATCH

    # At most once: the message left the queue when the dead worker took it.
    assert huey.pending_count() == 0

    # The periodic scheduler enqueues the job again on its next tick; here we do it by hand.
    tasks["process_batch"](str(effects), "batch", BATCH, 0.0)
    consumer = BackgroundConsumer(huey=huey, workers=1, periodic=False)
    consumer.start()
    try:
        assert _wait_for(lambda: _count(effects, "select count(*) from runs") >= 2)
        assert _wait_for(lambda: _count(effects, "select count(*) from done") >= BATCH)
    finally:
        assert consumer.stop()
    assert _count(effects, "select count(*) from runs") == 2  # it really ran twice
    assert _count(effects, "select count(*) from done") == BATCH  # and did the work once


def test_in_process_consumer_runs_periodic_tasks_and_stops_gracefully(tmp_path: Path) -> None:
    effects = tmp_path / "effects.sqlite3"
    huey: Any = SqliteHuey(name="periodic", filename=str(tmp_path / "queue.sqlite3"))

    def tick() -> None:
        record_run(str(effects), "tick")

    def slow(seconds: float) -> None:
        time.sleep(seconds)
        record_run(str(effects), "slow")

    huey.periodic_task(crontab(), name="ops_tick")(tick)  # every minute, first one at start
    slow_task = huey.task(name="ops_slow")(slow)

    consumer = BackgroundConsumer(huey=huey, workers=2, periodic=True)
    assert consumer.periodic
    consumer.start()
    try:
        assert _wait_for(lambda: _count(effects, "select count(*) from runs where job='tick'") >= 1)
        slow_task(1.0)
        assert _wait_for(lambda: huey.pending_count() == 0)  # a worker has taken it
        time.sleep(0.2)
    finally:
        started = time.monotonic()
        finished = consumer.stop()  # graceful: waits for the running task
    assert finished
    assert time.monotonic() - started < 5
    assert _count(effects, "select count(*) from runs where job='slow'") == 1


def test_consumer_takes_its_options_from_settings(settings: Any, tmp_path: Path) -> None:
    settings.HUEY = {**settings.HUEY, "consumer": {"workers": 3, "worker_type": "process"}}
    huey: Any = SqliteHuey(name="opts", filename=str(tmp_path / "queue.sqlite3"))
    consumer = BackgroundConsumer(huey=huey)
    assert consumer.workers == 3
    # In the web process the workers are always threads, whatever the settings say.
    assert consumer.consumer.worker_type == "thread"
    assert consumer.stop()  # never started: nothing to wait for


def test_worker_command_runs_in_the_foreground_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    """`huiying worker` wraps huey's consumer: it starts on the configured queue, exits cleanly."""
    log = tmp_path / "worker.log"
    env = {
        **os.environ,
        "HUIYING_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
        "HUEY_SQLITE_PATH": str(tmp_path / "queue.sqlite3"),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("HUEY_REDIS_URL", None)
    env.pop("HUEY_IMMEDIATE", None)
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "huiying.cli", "worker", "--workers", "1"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            assert _wait_for(lambda: "Huey consumer started" in log.read_text(), 60), (
                log.read_text()
            )
            # Huey logs "started" before it has started its threads and set its signal
            # handlers; the first periodic task running means it is past that, nearly.
            assert _wait_for(lambda: "Executing" in log.read_text(), 60), log.read_text()
            time.sleep(1.0)
            proc.send_signal(signal.SIGINT)  # graceful in huey: finish running tasks, then exit
            assert proc.wait(30) == 0, log.read_text()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
    text = log.read_text()
    assert "后台任务队列：SQLite 队列" in text
    assert str(tmp_path / "queue.sqlite3") in text
