"""`huiying worker`: the Huey consumer in the foreground, for production.

It is huey's own `run_huey` (every consumer option: -w workers, -k thread/process/greenlet,
--no-periodic, -t shutdown timeout, ...), defaults taken from settings.HUEY["consumer"]. With
HUEY_REDIS_URL set, run as many of these as the load needs; with the default SQLite queue,
one worker process (with several threads) is the sensible maximum.
"""

from __future__ import annotations

from typing import Any

from huey.contrib.djhuey.management.commands.run_huey import Command as RunHueyCommand

from huiying.common.management.commands._database import database_problem
from huiying.common.management.commands._runtime import configured_huey, describe_queue


class Command(RunHueyCommand):
    help = "在前台运行后台任务队列（Huey 消费者，含周期任务）；Ctrl-C 平滑停止。"

    def handle(self, *args: Any, **options: Any) -> None:
        huey = configured_huey()
        if huey.immediate:
            self.stderr.write("HUEY_IMMEDIATE 已开启：任务在调用处同步执行，无需运行 worker。")
            raise SystemExit(2)
        # Like serve: say so when the database is behind the code, but run anyway.
        problem = database_problem()
        if problem is not None:
            self.stderr.write(f"{problem.what}，后台任务可能出错；{problem.advice}。")
        self.stdout.write(f"后台任务队列：{describe_queue(huey)}")
        self.stdout.flush()
        super().handle(*args, **options)
