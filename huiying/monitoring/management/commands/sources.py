"""`huiying sources add FILE` / `list` / `show CODE`: monitoring sources from definition files.

``add`` takes YAML or JSON (one definition, a list, or ``sources: [...]``), validates every
definition before saving any, and upserts by code: running it again with the same file
changes nothing. The format is described in huiying/monitoring/SOURCES_FORMAT.md.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from huiying.common.management.commands._database import require_database
from huiying.monitoring.collectors.base import CollectorError
from huiying.monitoring.collectors.definition import DefinitionError, normalise_definition
from huiying.monitoring.fetch import FetchError
from huiying.monitoring.models import Source
from huiying.monitoring.services_sources import (
    definition_of,
    parse_definitions,
    preview_definition,
    source_save,
)
from huiying.monitoring.types import RawItem
from huiying.orgs.models import Unit


def _problems(exc: DefinitionError, label: str) -> list[str]:
    return [f"{label} {key}: {'；'.join(messages)}" for key, messages in exc.message_dict.items()]


def _when(value: Any) -> str:
    return timezone.localtime(value).strftime("%m-%d %H:%M:%S") if value else "-"


PREVIEW_FIELDS = (
    "external_id",
    "url",
    "title",
    "text",
    "author",
    "published_at",
    "board_status",
    "board_reply",
    "board_replied_at",
    "likes",
    "reposts",
    "comments",
)


def preview_fields(item: RawItem) -> list[tuple[str, str]]:
    """The fields an item would be stored with, long text shortened, empty ones left out."""
    out: list[tuple[str, str]] = []
    for name in PREVIEW_FIELDS:
        value = getattr(item, name)
        if value in ("", None, 0):
            continue
        text = value.isoformat() if hasattr(value, "isoformat") else str(value)
        text = text.replace("\n", " ⏎ ")
        out.append((name, text if len(text) <= 200 else text[:200] + "…"))
    if item.responses:
        said = " | ".join(item.responses).replace("\n", " ⏎ ")
        said = said if len(said) <= 200 else said[:200] + "…"
        out.append(("responses", f"{len(item.responses)} 条：{said}"))
    for name, value in (item.extra.get("fields") or {}).items():
        out.append((f"fields.{name}", str(value)[:200]))
    return out


class Command(BaseCommand):
    stealth_options = ("stdin",)
    help = "管理监测源：add 从 YAML/JSON 文件新增或更新（按代码），list 列出状态，show 输出定义。"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="从 YAML/JSON 文件新增或更新监测源（按 code 更新）")
        add.add_argument("files", nargs="+", help="定义文件；- 表示标准输入")
        sub.add_parser("list", help="列出全部监测源及其健康状态")
        show = sub.add_parser("show", help="以 YAML 输出一个监测源的定义（不含密钥）")
        show.add_argument("code")
        test = sub.add_parser(
            "test", help="试采：按定义读取站点的第一页列表和一个详情页，显示会取到什么（不保存）"
        )
        test.add_argument("file", help="定义文件；- 表示标准输入")

    def handle(self, *args: Any, **options: Any) -> None:
        require_database()
        self.stdin = options.get("stdin") or sys.stdin
        action = options["action"]
        if action == "add":
            self.add(options["files"])
        elif action == "list":
            self.list_sources()
        elif action == "test":
            self.test(options["file"])
        else:
            self.show(options["code"])

    def _read(self, name: str) -> str:
        if name == "-":
            return str(self.stdin.read())
        path = Path(name)
        if not path.is_file():
            raise CommandError(f"文件不存在：{name}")
        return path.read_text(encoding="utf-8-sig")

    def add(self, files: list[str]) -> None:
        definitions: list[tuple[str, Any]] = []
        problems: list[str] = []
        for name in files:
            try:
                found = parse_definitions(self._read(name))
            except DefinitionError as exc:
                problems += _problems(exc, name)
                continue
            for index, definition in enumerate(found, start=1):
                code = definition.get("code") if isinstance(definition, dict) else None
                label = f"{name} 第 {index} 个定义" + (f"（{code}）" if code else "")
                try:
                    owner = normalise_definition(definition)["owner_unit"]
                    if owner and not Unit.objects.filter(code=owner).exists():
                        problems.append(f"{label} owner_unit: 单位代码不存在：{owner}")
                except DefinitionError as exc:
                    problems += _problems(exc, label)
                definitions.append((label, definition))
        codes = [d.get("code") for _, d in definitions if isinstance(d, dict)]
        repeated = sorted({c for c in codes if c and codes.count(c) > 1})
        if repeated:
            problems.append(f"同一代码出现多次：{', '.join(map(str, repeated))}")
        if problems:
            raise CommandError("定义有误，未保存任何监测源：\n  " + "\n  ".join(problems))
        with transaction.atomic():
            saved = []
            for label, definition in definitions:
                try:
                    saved.append(source_save(definition))
                except DefinitionError as exc:
                    raise CommandError("\n".join(_problems(exc, label))) from exc
        for result in saved:
            verb = "已新增" if result.created else ("已更新" if result.changed else "未变化")
            self.stdout.write(f"{verb}：{result.source.code}  {result.source.name}")
            if result.new_secret:
                self.stdout.write(
                    f"  推送密钥（只显示这一次，请交给厂商）：{result.new_secret}\n"
                    f"  推送地址：/monitoring/push/{result.source.code}/"
                )
        self.stdout.write(self.style.SUCCESS(f"共 {len(saved)} 个监测源。"))

    def test(self, name: str) -> None:
        """Print what each definition in the file would extract now; nothing is stored."""
        try:
            definitions = parse_definitions(self._read(name))
        except DefinitionError as exc:
            raise CommandError("\n".join(_problems(exc, name))) from exc
        failed = 0
        for index, definition in enumerate(definitions, start=1):
            code = definition.get("code") if isinstance(definition, dict) else None
            label = code or f"第 {index} 个定义"
            try:
                outcome = preview_definition(definition)
            except DefinitionError as exc:
                failed += 1
                self.stdout.write("\n".join(_problems(exc, f"{label}：定义有误")))
                continue
            except (FetchError, CollectorError) as exc:
                failed += 1
                self.stdout.write(f"{label}：读取失败：{exc}")
                continue
            self.stdout.write(
                f"== {label}：读取 {outcome.pages} 个页面，取到 {len(outcome.items)} 条（未保存）"
            )
            for number, item in enumerate(outcome.items[:20], start=1):
                self.stdout.write(f"-- 第 {number} 条")
                for field, value in preview_fields(item):
                    self.stdout.write(f"   {field}: {value}")
            for problem in outcome.problems:
                self.stdout.write(f"   问题：{problem}")
            for note in outcome.notes:
                self.stdout.write(f"   注意：{note}")
            if outcome.gap:
                self.stdout.write(f"   注意：{outcome.gap}")
        if failed:
            raise CommandError(f"{failed} 个定义试采失败（详见上方）。")

    def list_sources(self) -> None:
        sources = list(Source.objects.order_by("code"))
        if not sources:
            self.stdout.write("还没有监测源。用 `huiying sources add 文件` 添加。")
            return
        for s in sources:
            state = "停用" if not s.is_active else ("异常" if s.consecutive_failures else "正常")
            self.stdout.write(
                f"{s.code:20} {s.kind:11} {state}  间隔 {s.interval_seconds}s  "
                f"最近成功 {_when(s.last_success_at)}  连续失败 {s.consecutive_failures}  "
                f"下次 {_when(s.next_due_at)}  {s.name}"
            )
            if s.last_error:
                self.stdout.write(
                    f"{'':20} 最近错误（{_when(s.last_error_at)}）：{s.last_error[:200]}"
                )

    def show(self, code: str) -> None:
        source = Source.objects.filter(code=code).first()
        if source is None:
            raise CommandError(f"监测源不存在：{code}")
        self.stdout.write(
            yaml.safe_dump(definition_of(source), allow_unicode=True, sort_keys=False)
        )
