"""`huiying directory import FILE [--prune] [--dry-run]` and `huiying directory export [FILE]`.

The unit directory is a YAML file (format: huiying/orgs/data/nantong.yaml); another city
writes its own and imports it, without touching code (R12). The gazetteer (places: ..., format:
huiying/orgs/data/nantong_places.yaml) is imported the same way, in its own file or the same.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from huiying.common.errors import InvalidInput
from huiying.common.management.commands._database import require_database
from huiying.orgs.gazetteer import gazetteer_export, gazetteer_import
from huiying.orgs.services import ImportSummary, directory_export, directory_import

EXPORT_HEADER = (
    "# 单位目录（huiying directory export）。格式说明见 huiying/orgs/data/nantong.yaml；\n"
    "# 修改后用 huiying directory import FILE [--prune] 导入。\n"
)


class _DryRun(Exception):
    """Raised inside the import's transaction to roll it back after counting."""

    def __init__(self, summary: ImportSummary) -> None:
        super().__init__("dry run")
        self.summary = summary


def read_directory_file(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"无法读取单位目录文件 {path}：{exc}") from exc
    except yaml.YAMLError as exc:
        raise CommandError(f"单位目录文件 {path} 不是有效的 YAML：{exc}") from exc


def dump_directory(data: dict[str, Any]) -> str:
    # Lists of keywords inline ([住房, 物业]), units as blocks: the shipped file's layout.
    body = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, default_flow_style=None)
    return EXPORT_HEADER + body


class Command(BaseCommand):
    help = "导入或导出单位目录（YAML）：directory import FILE [--prune] [--dry-run] | export [FILE]"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="op", required=True)
        imp = sub.add_parser("import", help="从 YAML 文件导入（按 code 新增或更新）")
        imp.add_argument("file")
        imp.add_argument("--prune", action="store_true", help="停用文件中没有的单位")
        imp.add_argument("--dry-run", action="store_true", help="只检查并统计，不写入")
        exp = sub.add_parser("export", help="导出为 YAML（不给文件名则输出到屏幕）")
        exp.add_argument("file", nargs="?")
        exp.add_argument("--places", action="store_true", help="导出地名库而不是单位目录")

    def handle(self, *args: Any, **options: Any) -> None:
        require_database()
        if options["op"] == "import":
            self._import(Path(options["file"]), prune=options["prune"], dry=options["dry_run"])
        else:
            self._export(options.get("file"), places=options.get("places", False))

    def _import(self, path: Path, *, prune: bool, dry: bool) -> None:
        data = read_directory_file(path)
        # A file may hold units, a gazetteer (places: ...), or both; units first.
        places = data.pop("places", None) if isinstance(data, dict) else None
        only_places = places is not None and not data
        try:
            with transaction.atomic():
                summary = None if only_places else directory_import(data=data, prune=prune)
                if places is not None:
                    gazetteer_import(data={"places": places})
                if dry:
                    raise _DryRun(summary or ImportSummary(0, 0, 0))
        except _DryRun as rolled_back:
            summary = None if only_places else rolled_back.summary
        except InvalidInput as exc:
            raise CommandError(exc.message) from exc
        prefix = "试导入（未写入）" if dry else "单位目录已导入"
        if summary is not None:
            self.stdout.write(
                f"{prefix}：新增 {summary.created}，更新 {summary.updated}，"
                f"停用 {summary.deactivated}"
            )
        if places is not None:
            prefix = "试导入地名库（未写入）" if dry else "地名库已导入"
            self.stdout.write(f"{prefix}：{len(places)} 个地名")

    def _export(self, file: str | None, *, places: bool = False) -> None:
        text = dump_directory(gazetteer_export() if places else directory_export())
        if not file:
            self.stdout.write(text, ending="")
            return
        try:
            Path(file).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"无法写入 {file}：{exc}") from exc
        self.stderr.write(f"单位目录已导出到 {file}")
