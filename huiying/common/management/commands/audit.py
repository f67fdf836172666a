"""``huiying audit verify`` and ``huiying audit checkpoint``.

verify re-computes the keyed hash chain, compares it with the checkpoints kept outside the
database, and replays the forms' events against their rows and signatures; it names every
problem and exits 1. checkpoint writes a checkpoint now (the worker writes one every 5 minutes).
"""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from huiying.common.audit_verify import verify
from huiying.common.checkpoints import checkpoint_path, write_checkpoint
from huiying.common.management.commands._database import require_database

# After a mass deletion every form is a problem of its own: the first ones tell the story.
SHOWN = 50


class Command(BaseCommand):
    help = "审计日志：verify 校验审计链、检查点与交办单；checkpoint 立即写入一个检查点"

    def add_arguments(self, parser: ArgumentParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", metavar="子命令", required=True)
        check = subcommands.add_parser(
            "verify", help="校验整条审计链、检查点，并以审计事件重放核对交办单与签收记录"
        )
        check.add_argument(
            "--checkpoint-file",
            type=Path,
            default=None,
            help="检查点文件（默认为 HUIYING_AUDIT_CHECKPOINT_FILE），例如从另一台机器取回的副本",
        )
        check.add_argument(
            "--chain-only", action="store_true", help="只校验审计链与检查点，不核对交办单"
        )
        check.add_argument(
            "--all", action="store_true", help=f"列出全部问题（默认最多 {SHOWN} 处）"
        )
        write = subcommands.add_parser("checkpoint", help="立即写入一个审计检查点")
        write.add_argument("--reason", default="manual", help="写入原因（记入检查点）")

    def handle(self, *args: Any, **options: Any) -> None:
        require_database()
        if options["subcommand"] == "verify":
            self.verify(
                options["checkpoint_file"],
                checks=not options["chain_only"],
                shown=None if options["all"] else SHOWN,
            )
        elif options["subcommand"] == "checkpoint":
            self.checkpoint(options["reason"])

    def verify(self, checkpoint_file: Path | None, *, checks: bool, shown: int | None) -> None:
        report = verify(checkpoint_file=checkpoint_file, checks=checks)
        for warning in report.warnings:
            self.stderr.write(self.style.WARNING(f"注意：{warning}"))
        if report.ok:
            self.stdout.write(self.style.SUCCESS(f"审计链完整：共校验 {report.events} 条事件"))
            for note in report.notes:
                self.stdout.write(note)
            return
        listed = report.problems[:shown]
        lines = "\n".join(f"  - {p}" for p in listed)
        if len(listed) < len(report.problems):
            lines += (
                f"\n  ……另有 {len(report.problems) - len(listed)} 处问题未列出（--all 列出全部）"
            )
        # CommandError goes to stderr and makes the process exit with status 1.
        raise CommandError(
            f"审计校验发现 {len(report.problems)} 处问题（共读取 {report.events} 条事件）：\n{lines}"
        )

    def checkpoint(self, reason: str) -> None:
        result = write_checkpoint(reason=reason)
        if result.problem:
            raise CommandError(f"检查点未写入：{result.problem}")
        if result.checkpoint is None:
            self.stdout.write("审计链为空，无需写入检查点")
            return
        self.stdout.write(
            self.style.SUCCESS(f"已写入检查点：#{result.checkpoint.seq}（{checkpoint_path()}）")
        )
