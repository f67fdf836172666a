"""``huiying outbox``: the backlog of domain events, and draining it by hand or in a loop."""

from __future__ import annotations

import signal
import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from huiying.common import outbox
from huiying.common.models import OutboxDelivery


class Command(BaseCommand):
    help = "领域事件发件箱：status 查看积压，drain 交给各消费者处理，retry 重试失败的投递"

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", metavar="子命令", required=True)
        sub.add_parser("status", help="每个消费者待处理和处理失败的事件数")
        drain = sub.add_parser("drain", help="把待处理的事件交给消费者（默认全部消费者）")
        drain.add_argument("--consumer", action="append", default=[], help="只处理这个消费者")
        drain.add_argument("--forever", action="store_true", help="持续处理，直到被停止")
        drain.add_argument("--interval", type=float, default=1.0, help="空闲时的轮询间隔（秒）")
        sub.add_parser("retry", help="把处理失败的投递重新放回队列")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, options["subcommand"])(**options)

    def status(self, **_options: Any) -> None:
        backlog = outbox.backlog()
        if not backlog:
            self.stdout.write("没有登记的消费者。")
        for name, counts in sorted(backlog.items()):
            self.stdout.write(f"{name}：待处理 {counts['pending']}，处理失败 {counts['failed']}")

    def drain(self, *, consumer: list[str], forever: bool, interval: float, **_: Any) -> None:
        known = outbox.consumers()
        names = consumer or list(known)
        unknown = [n for n in names if n not in known]
        if unknown:
            raise CommandError(f"没有这个消费者：{'、'.join(unknown)}（可用：{'、'.join(known)}）")
        stop = {"now": False}

        def ask_to_stop(*_args: Any) -> None:
            stop["now"] = True

        signal.signal(signal.SIGTERM, ask_to_stop)
        signal.signal(signal.SIGINT, ask_to_stop)
        while True:
            taken = {n: outbox.drain(n, limit=100) for n in names}
            for name, n in taken.items():
                if n:
                    self.stdout.write(f"{name}：处理 {n} 个事件")
            if not forever or stop["now"]:
                return
            if not any(taken.values()):
                time.sleep(interval)

    def retry(self, **_options: Any) -> None:
        ids = list(
            OutboxDelivery.objects.filter(state=OutboxDelivery.State.FAILED).values_list(
                "pk", flat=True
            )
        )
        n = outbox.delivery_retry(delivery_ids=ids, actor=None)
        self.stdout.write(f"已重新排队 {n} 个失败的投递。")
