"""`huiying import-items FILE --source CODE`: bulk import CSV / XLSX / JSON Lines.

The default column map reads message-board exports (留言编号, 留言用户, 留言主题, 留言时间,
留言详情, 反对数, 点赞数, 答复意见, 答复时间) and our own field names; ``--map 列名=字段``
adds or overrides (``--map 标签=extra.label``, ``--map 备注=-`` to drop a column).
Importing the same file again adds nothing: rows are idempotent on their id column.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from huiying.common.management.commands._database import require_database
from huiying.monitoring.collectors.importer import FORMATS, ImportFileError
from huiying.monitoring.models import Source
from huiying.monitoring.services_intake import ImportReport, import_file


class Command(BaseCommand):
    help = "批量导入 CSV / XLSX / JSON Lines 文件中的舆情信息到指定监测源。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="要导入的文件")
        parser.add_argument("--source", required=True, help="监测源代码（需先用 sources add 建立）")
        parser.add_argument(
            "--format", choices=FORMATS, default="", help="文件格式（默认按扩展名判断）"
        )
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="列名=字段",
            help="列映射，可多次使用；字段为 title/text/author/published_at/external_id/url/likes… 或 extra.名称，- 表示忽略",
        )
        parser.add_argument("--sheet", default="", help="XLSX 工作表名称（默认第一个）")
        parser.add_argument("--batch", type=int, default=500, help="每批入库条数（默认 500）")
        parser.add_argument("--dry-run", action="store_true", help="只检查文件，不入库")

    def handle(self, *args: Any, **options: Any) -> None:
        require_database()
        source = Source.objects.filter(code=options["source"]).first()
        if source is None:
            raise CommandError(
                f"监测源不存在：{options['source']}（先用 huiying sources add 建立 kind: import 的监测源）"
            )
        columns: dict[str, str] = {}
        for pair in options["map"]:
            column, sep, target = pair.partition("=")
            if not sep or not column.strip() or not target.strip():
                raise CommandError(f"列映射应写作 列名=字段：{pair}")
            columns[column.strip()] = target.strip()
        if options["batch"] < 1:
            raise CommandError("--batch 应为正整数")
        try:
            report = import_file(
                source=source,
                path=Path(options["file"]),
                fmt=options["format"],
                columns=columns,
                sheet=options["sheet"],
                batch_size=options["batch"],
                dry_run=options["dry_run"],
                progress=self.progress,
            )
        except ImportFileError as exc:
            raise CommandError(str(exc)) from exc
        stored = report.stored
        if report.rows >= options["batch"]:
            self.stderr.write("")  # end the progress line
        for line in report.row_errors[:20]:
            self.stderr.write(line)
        if options["dry_run"]:
            self.stdout.write(
                f"检查完成：{report.rows} 行，{len(report.row_errors)} 行有误（未入库）。"
            )
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"导入完成：{report.rows} 行；新增 {stored.new} 条，重复 {stored.duplicates} 条，"
                f"更新 {stored.updated} 条，未变化 {stored.unchanged} 条，空行跳过 {stored.skipped} 条，"
                f"有误 {len(report.row_errors)} 行。"
            )
        )

    def progress(self, report: ImportReport) -> None:
        """One line on stderr, rewritten after each batch: a big file is not a silent wait."""
        stored = report.stored
        self.stderr.write(
            f"\r已读 {report.rows} 行：新增 {stored.new}，重复 {stored.duplicates}，"
            f"有误 {len(report.row_errors)}",
            ending="",
        )
        self.stderr.flush()
