"""Running the product: the Huey consumer inside the web process, and the waitress server.

Shared by `huiying serve` and `huiying demo --serve`. (A leading underscore keeps Django from
listing this module as a command.)

Why not ``Consumer.run()`` for the in-process worker: it blocks the main thread and installs its
own SIGINT/SIGTERM handlers, while the main thread belongs to the web server here. We start the
consumer's scheduler and worker threads ourselves, keep its health check going in one more
thread, and stop it gracefully when the server stops.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from types import FrameType
from typing import Any, Protocol

from django.conf import settings
from django.core.management.base import CommandError
from django.utils.module_loading import autodiscover_modules

logger = logging.getLogger("huiying.runtime")

# How long a graceful stop waits for a running task before the process exits anyway. Our jobs
# are idempotent (see test_ops_worker), so a task cut short here is simply redone later.
DEFAULT_SHUTDOWN_TIMEOUT = 10.0


def configured_huey() -> Any:
    """The project's Huey instance (SqliteHuey file or RedisHuey), with every tasks.py loaded."""
    from huey.contrib.djhuey import HUEY

    autodiscover_modules("tasks")
    return HUEY


def consumer_options(**overrides: Any) -> dict[str, Any]:
    """settings.HUEY["consumer"] validated by huey itself, with ``overrides`` applied."""
    from huey.consumer_options import ConsumerConfig

    options: dict[str, Any] = {}
    huey_settings: Any = settings.HUEY
    if isinstance(huey_settings, dict):
        options.update(huey_settings.get("consumer", {}))
    options.update({k: v for k, v in overrides.items() if v is not None})
    config = ConsumerConfig(**options)
    config.validate()
    return dict(config.values)


def describe_queue(huey: Any) -> str:
    """One line for the console: which durable queue this process talks to."""
    storage = huey.storage
    filename = getattr(storage, "filename", None)
    if filename:
        return f"SQLite 队列 {filename}（队列名 {huey.name}）"
    pool = getattr(getattr(storage, "conn", None), "connection_pool", None)
    kwargs = getattr(pool, "connection_kwargs", {}) or {}
    where = f"{kwargs.get('host', '?')}:{kwargs.get('port', '?')}/{kwargs.get('db', 0)}"
    return f"{type(huey).__name__} {where}（队列名 {huey.name}）"


class BackgroundConsumer:
    """A Huey consumer whose scheduler and workers are threads of the current process."""

    def __init__(self, huey: Any | None = None, **overrides: Any) -> None:
        self.huey = huey if huey is not None else configured_huey()
        # Threads only: forking worker processes out of a web server is asking for trouble.
        options = consumer_options(**{**overrides, "worker_type": "thread"})
        options.setdefault("shutdown_timeout", DEFAULT_SHUTDOWN_TIMEOUT)
        if options["shutdown_timeout"] is None:
            options["shutdown_timeout"] = DEFAULT_SHUTDOWN_TIMEOUT
        self.consumer = self.huey.create_consumer(**options)
        self.workers: int = options["workers"]
        self.periodic: bool = options["periodic"]
        self._health: threading.Thread | None = None
        self._started = False

    def start(self) -> None:
        if self.huey.immediate:
            raise RuntimeError("HUEY_IMMEDIATE 已开启：任务在调用处同步执行，无需启动后台队列。")
        c = self.consumer
        c.scheduler.start()
        for _worker, thread in c.worker_threads:
            thread.start()
        self._health = threading.Thread(target=self._check_health, name="huey-health", daemon=True)
        self._health.start()
        self._started = True
        logger.info(
            "后台任务队列已启动：%d 个工作线程，周期任务%s；%s",
            self.workers,
            "已启用" if self.periodic else "未启用",
            describe_queue(self.huey),
        )

    def _check_health(self) -> None:
        """Restart a worker or the scheduler that died (what Consumer.loop() would do)."""
        c = self.consumer
        while not c.stop_flag.wait(c._health_check_interval):
            try:
                c.check_worker_health()
            except Exception:  # keep checking; one failed check must not end the process
                logger.exception("后台任务队列健康检查失败")

    def stop(self) -> bool:
        """Stop taking tasks, wait for running ones (bounded), report whether all finished."""
        if not self._started:
            return True
        self._started = False
        c = self.consumer
        c.stop_flag.set()
        finished = bool(c._join_workers())
        # Tasks still running are reported through huey's "interrupted" signal.
        self.huey.notify_interrupted_tasks()
        if finished:
            logger.info("后台任务队列已停止。")
        else:
            logger.warning("后台任务队列在 %.0f 秒内未能结束全部任务。", c.shutdown_timeout)
        return finished


class Writer(Protocol):
    """Where the console messages go: a command's self.stdout or any text stream."""

    def write(self, msg: str) -> Any: ...

    def flush(self) -> Any: ...


def _raise_keyboard_interrupt(signum: int, frame: FrameType | None) -> None:
    # waitress's run() treats KeyboardInterrupt as "shut down": SIGTERM behaves like Ctrl-C.
    raise KeyboardInterrupt


def serve(
    *,
    host: str,
    port: int,
    worker: bool,
    threads: int = 8,
    out: Writer,
    on_ready: Callable[[str], None] | None = None,
    cleanups: Iterable[Callable[[], None]] = (),
) -> None:
    """Serve the WSGI app until Ctrl-C or SIGTERM, then stop the consumer and run ``cleanups``."""
    from django.core.wsgi import get_wsgi_application
    from waitress.server import create_server  # type: ignore[import-untyped]

    # WhiteNoise warns about a missing STATIC_ROOT even when it serves from the finders.
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
    application = get_wsgi_application()
    try:
        server: Any = create_server(application, host=host, port=port, threads=threads)
    except OSError as exc:  # most often: the port is taken by another program
        raise CommandError(
            f"无法在 {host}:{port} 上监听：{exc.strerror or exc}。请换一个端口（--port）。"
        ) from exc
    display_host = f"[{host}]" if ":" in host else host
    url = f"http://{display_host}:{server.effective_port}"

    consumer: BackgroundConsumer | None = None
    if worker:
        consumer = BackgroundConsumer()
        if consumer.huey.immediate:
            out.write("HUEY_IMMEDIATE 已开启：任务同步执行，不启动后台队列。\n")
            consumer = None
        else:
            consumer.start()

    previous = signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    try:
        out.write(f"网页服务已启动：{url}/ （按 Ctrl-C 停止）\n")
        if consumer is None:
            out.write("未在本进程运行后台任务队列；请另行运行 `huiying worker`。\n")
        out.flush()
        with contextlib.suppress(KeyboardInterrupt):
            if on_ready is not None:
                on_ready(url)
            server.run()
    finally:
        signal.signal(signal.SIGTERM, previous)
        out.write("正在停止……\n")
        out.flush()
        server.close()
        if consumer is not None:
            consumer.stop()
        for cleanup in cleanups:
            try:
                cleanup()
            except Exception:
                logger.exception("停止时清理失败")
        out.write("已停止。\n")
        out.flush()
