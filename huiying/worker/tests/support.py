"""Real worker processes for the tests: `huiying worker` started as production starts it
(configured by environment variables only), a Redis server of the test's own, and a way to
enqueue a task into the queue those workers read, exactly as a scheduler would."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.db import connection
from huey import RedisHuey, SqliteHuey
from huey.contrib.djhuey import HUEY

ROOT = Path(__file__).resolve().parents[3]


def database_url() -> str:
    """The test database, for a process of its own."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return "sqlite:////" + str(db["NAME"]).lstrip("/")
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    host = db["HOST"] or "127.0.0.1"
    return f"postgres://{db['USER']}{password}@{host}:{db['PORT'] or 5432}/{db['NAME']}"


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def wait_for(check: Callable[[], bool], seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return check()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Queue:
    """The queue the workers of one test share: env for them, and enqueueing for the test."""

    def __init__(self, *, redis_url: str = "", sqlite_path: Path | None = None, name: str) -> None:
        self.redis_url = redis_url
        self.sqlite_path = sqlite_path
        self.name = name

    def env(self) -> dict[str, str]:
        if self.redis_url:
            return {"HUEY_REDIS_URL": self.redis_url, "HUEY_NAME": self.name}
        return {
            "HUEY_REDIS_URL": "",
            "HUEY_SQLITE_PATH": str(self.sqlite_path),
            "HUEY_NAME": self.name,
        }

    def huey(self) -> Any:
        if self.redis_url:
            huey: Any = RedisHuey(self.name, url=self.redis_url, results=False)
        else:
            huey = SqliteHuey(self.name, filename=str(self.sqlite_path), results=False)
        huey._registry = HUEY._registry  # the tasks this process knows, by the same names
        return huey

    def enqueue(self, task: Any, times: int = 1) -> None:
        """What each worker's scheduler does at the start of a period: ``huey.enqueue``."""
        huey = self.huey()
        for _ in range(times):
            huey.enqueue(task.s())


class Worker:
    """One `huiying worker` process."""

    def __init__(
        self,
        queue: Queue,
        log: Path,
        *,
        extra: dict[str, str] | None = None,
        args: tuple[str, ...] = ("--no-periodic",),
        workers: int = 2,
    ) -> None:
        self.log = log
        env = {
            **os.environ,
            **queue.env(),
            "DATABASE_URL": database_url(),
            "DJANGO_SETTINGS_MODULE": "huiying.worker.tests.worker_settings",
            "HUEY_WORKERS": str(workers),
            "HUIYING_QUEUE_LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
            **(extra or {}),
        }
        with log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "huiying.cli", "worker", *args],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
            )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                return self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        return self.proc.returncode

    def wait_ready(self, seconds: float = 30) -> None:
        assert wait_for(lambda: "consumer started" in self.output(), seconds), self.output()

    def alive(self) -> bool:
        return self.proc.poll() is None

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@contextmanager
def workers(*started: Worker) -> Iterator[tuple[Worker, ...]]:
    try:
        yield started
    finally:
        for w in started:
            if w.alive():
                w.proc.kill()
                w.proc.wait(10)


class RedisServer:
    """A redis-server of the test's own on a free loopback port, to stop and start at will."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is not installed"
        self.proc = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        assert wait_for(self._answers, 10), "redis-server did not start"

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
        self.proc = None


def have_redis_server() -> bool:
    return shutil.which("redis-server") is not None


class TcpProxy:
    """A loopback TCP relay in front of the database server: ``cut()`` drops every connection
    and refuses new ones, as a restarting server does; ``restore()`` listens again."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)  # wakes accept(): new ones refused
            self._listener.close()
            self._listener = None
        with self._lock:
            conns, self._conns = self._conns, []
        for s in conns:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()

    def restore(self) -> None:
        self.start()

    def url_for(self, database_url: str) -> str:
        host, port = self.target
        return database_url.replace(f"@{host}:{port}/", f"@127.0.0.1:{self.port}/")
