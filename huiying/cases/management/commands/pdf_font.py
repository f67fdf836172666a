"""`huiying pdf_font`: which Chinese font PDFs of the form embed; fails when there is none."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from huiying.cases.documents.fonts import FontMissing, pdf_font


class Command(BaseCommand):
    help = "显示交办单 PDF 所嵌入的中文字体；找不到时以非零状态退出。"

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--truetype",
            action="store_true",
            help="字体须为 TrueType 字形（script/ensure-fonts 据此决定是否安装字体）。",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            font = pdf_font()
        except FontMissing as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"PDF 字体：{font.describe()}")
        if font.cff:
            note = "该字体为 CFF 字形：PDF 可正常显示和打印，但部分工具无法从中提取文字；建议安装 fonts-wqy-microhei。"
            if options["truetype"]:
                raise CommandError(note)
            self.stdout.write(note)
