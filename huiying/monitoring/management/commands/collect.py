"""`huiying collect --once [CODE ...]`: collect now, in this process, and print each result.

Without codes: every active source that is due. With codes: those sources, due or not
(a named inactive source too: it is how a monitor tries a source before enabling it).
Continuous collection is the worker's job (`huiying worker`, or `huiying serve`).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from huiying.common.management.commands._database import require_database
from huiying.monitoring.collectors.definition import POLLED_KINDS
from huiying.monitoring.models import Source
from huiying.monitoring.services_sources import collect_many, due_sources


class Command(BaseCommand):
    help = "立即采集一次：不指定代码时采集所有到期的监测源，指定代码时采集这些监测源。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("codes", nargs="*", help="监测源代码（可多个）")
        parser.add_argument(
            "--once", action="store_true", help="采集一次后退出（持续采集请运行 huiying worker）"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        require_database()
        if not options["once"]:
            raise CommandError(
                "请加 --once 采集一次；持续采集由后台队列负责（huiying worker 或 huiying serve）。"
            )
        codes: list[str] = options["codes"]
        if codes:
            found = {s.code: s for s in Source.objects.filter(code__in=codes)}
            missing = [c for c in codes if c not in found]
            if missing:
                raise CommandError(f"监测源不存在：{', '.join(missing)}")
            passive = [c for c in codes if found[c].kind not in POLLED_KINDS]
            if passive:
                raise CommandError(
                    f"这些监测源是推送、导入或人工录入类型，无需采集：{', '.join(passive)}"
                )
            targets = [found[c] for c in dict.fromkeys(codes)]
        else:
            targets = due_sources()
            if not targets:
                self.stdout.write("没有到期的监测源。")
                return
        failed = 0
        # Concurrently (a bounded pool): one slow source no longer holds up the others.
        for result in collect_many([s.pk for s in targets], force=bool(codes)):
            failed += result.status == "failed"
            self.stdout.write(result.line())
        if failed:
            raise CommandError(f"{failed} 个监测源采集失败（详见上方和监测源健康页）。")
