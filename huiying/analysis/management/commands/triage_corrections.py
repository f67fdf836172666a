"""``huiying triage_corrections --out FILE``: the monitors' corrections as JSON Lines, the
training data the next ``huiying model train`` reads beside ../shared/data (see README)."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from huiying.analysis.selectors import corrections_jsonl


class Command(BaseCommand):
    help = "导出研判台的人工更正样本（JSON Lines），供 huiying model train 使用"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", default="-", help="输出文件，- 为标准输出")

    def handle(self, *args: Any, **options: Any) -> None:
        out = options["out"]
        n = 0
        if out == "-":
            for line in corrections_jsonl():
                sys.stdout.write(line)
                n += 1
        else:
            with open(out, "w", encoding="utf-8") as fh:
                for line in corrections_jsonl():
                    fh.write(line)
                    n += 1
        self.stderr.write(f"{n} 条更正样本")
