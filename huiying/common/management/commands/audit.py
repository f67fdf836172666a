"""``huiying audit verify``: re-compute the audit hash chain and report the first break."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from huiying.common.audit import verify_chain
from huiying.common.management.commands._database import require_database


class Command(BaseCommand):
    help = "审计日志：verify 重新计算哈希链，发现被改动或删除的事件"

    def add_arguments(self, parser: ArgumentParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", metavar="子命令", required=True)
        subcommands.add_parser("verify", help="校验整条审计链")

    def handle(self, *args: Any, **options: Any) -> None:
        require_database()
        if options["subcommand"] == "verify":
            self.verify()

    def verify(self) -> None:
        checked, problem = verify_chain()
        if problem is None:
            self.stdout.write(self.style.SUCCESS(f"审计链完整：共校验 {checked} 条事件"))
            return
        where = f"事件 #{problem.seq}" if problem.seq is not None else "链尾"
        # CommandError goes to stderr and makes the process exit with status 1.
        raise CommandError(
            f"审计链断裂：{where}：{problem.message}（此前 {checked} 条事件校验通过）"
        )
