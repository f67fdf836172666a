"""`huiying serve`: the web pages through waitress, with the task queue in the same process.

No collectstatic step: WhiteNoise serves static files straight from the app finders
(WHITENOISE_USE_FINDERS). For production with Redis and many workers, run
`huiying serve --no-worker` beside one or more `huiying worker` processes.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from huiying.common.management.commands._database import database_problem
from huiying.common.management.commands._runtime import serve


class Command(BaseCommand):
    help = "启动网页服务（waitress）；默认在同一进程内运行后台任务队列（Huey，含周期任务）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="监听地址（默认 127.0.0.1）")
        parser.add_argument("--port", type=int, default=8000, help="监听端口（默认 8000）")
        parser.add_argument("--threads", type=int, default=8, help="网页服务线程数（默认 8）")
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="不在本进程运行后台任务队列（另行运行 `huiying worker`）",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # Like runserver: say so when the database is behind the code, but serve anyway.
        problem = database_problem()
        if problem is not None:
            self.stderr.write(f"{problem.what}，页面可能出错；{problem.advice}。")
        serve(
            host=options["host"],
            port=options["port"],
            worker=not options["no_worker"],
            threads=options["threads"],
            out=self.stdout,
        )
