"""`huiying demo-sites`: run the local imitation sites in the foreground (Ctrl-C stops)."""

from __future__ import annotations

import datetime as dt
import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from huiying.monitoring.demo_sites.server import DEFAULT_BACKLOG, DEFAULT_INTERVAL, run_demo_sites


class Command(BaseCommand):
    help = "启动本地模拟站点（留言板、微博、新闻订阅、搜索），每隔几秒发布一条南通本地帖子，供演示和测试采集。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--host", default="127.0.0.1", help="监听地址（默认 127.0.0.1，仅本机）"
        )
        parser.add_argument(
            "--port", type=int, default=8765, help="监听端口（默认 8765，0 为随机）"
        )
        parser.add_argument(
            "--interval", type=float, default=DEFAULT_INTERVAL, help="发布新帖的间隔秒数（默认 5）"
        )
        parser.add_argument(
            "--backlog", type=int, default=DEFAULT_BACKLOG, help="启动时已有的帖子数"
        )
        parser.add_argument(
            "--reply-after", type=float, default=60.0, help="留言板在发帖多少秒后答复"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["interval"] < 0 or options["backlog"] < 0:
            raise CommandError("间隔和帖子数不能为负数")
        try:
            sites = run_demo_sites(
                options["host"],
                options["port"],
                interval=options["interval"],
                backlog=options["backlog"],
                reply_after=dt.timedelta(seconds=options["reply_after"]),
            )
        except OSError as exc:
            raise CommandError(f"无法在 {options['host']}:{options['port']} 启动：{exc}") from exc
        self.stdout.write(self.style.SUCCESS("本地模拟站点已启动（按 Ctrl-C 停止）："))
        for name, url in sites.urls.items():
            self.stdout.write(f"  {name:8} {url}")
        self.stdout.write(
            "监测源定义：huiying/monitoring/demo_sites/sources.yaml（{base_url} 替换为上面的地址）"
        )
        self.stdout.write(
            "陷阱站点（损坏的订阅、跳转链接的搜索结果）：huiying/monitoring/demo_sites/traps.yaml；"
            "对照真值测量：.venv/bin/python bench/bench_collect_truth.py"
        )
        done = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: done.set())
        try:
            while not done.wait(1.0):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            sites.stop()
            self.stdout.write(f"已停止，共发布 {sites.state.count()} 条帖子。")
