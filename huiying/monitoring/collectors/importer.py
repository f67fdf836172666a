"""Bulk import of the files a city already has: CSV, XLSX and JSON Lines.

Columns are mapped to item fields by a column map. The default map knows the layout of
message-board exports (留言编号, 留言用户, 留言主题, 留言时间, 留言详情, 反对数, 点赞数, 答复意见,
答复时间 — the 附件3/附件4 files of the 2020 Teddy Cup data) and our own field names; a
definition's ``config.columns`` or the command's ``--map 列名=字段`` adds to it. A target of
``extra.NAME`` keeps the column under that name; ``-`` drops it; a column nobody mapped is
kept in ``extra`` under its own name, so nothing in the file is lost.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from huiying.monitoring.collectors.base import FIELD_ALIASES, ITEM_FIELDS, build_item
from huiying.monitoring.collectors.encoding import decode_document
from huiying.monitoring.types import RawItem

FORMATS = ("csv", "xlsx", "jsonl")
MAX_FILE_BYTES = 500 * 1024 * 1024
DEFAULT_COLUMNS: dict[str, str] = {
    **{name: name for name in ITEM_FIELDS},
    **FIELD_ALIASES,
    "留言编号": "external_id",
    "编号": "external_id",
    "留言用户": "author",
    "用户": "author",
    "作者": "author",
    "发布者": "author",
    "留言主题": "title",
    "主题": "title",
    "标题": "title",
    "留言时间": "published_at",
    "发布时间": "published_at",
    "时间": "published_at",
    "留言详情": "text",
    "详情": "text",
    "正文": "text",
    "内容": "text",
    "链接": "url",
    "网址": "url",
    "平台": "platform",
    "点赞数": "likes",
    "转发数": "reposts",
    "评论数": "comments",
    "回复数": "replies",
    "答复意见": "board_reply",
    "答复内容": "board_reply",
    "答复时间": "board_replied_at",
    "办理状态": "board_status",
    "反对数": "extra.dislikes",
    "一级分类": "extra.category",
    "一级标签": "extra.category",
}
REPLIED_STATUS = "已答复"


class ImportFileError(Exception):
    """The file as a whole cannot be read (Chinese message)."""


@dataclass
class Row:
    number: int  # 1-based data row (the header is row 0), or the line of a JSON Lines file
    values: dict[str, Any]


def guess_format(path: Path) -> str:
    suffix = path.suffix.lower().lstrip(".")
    if suffix in ("csv", "tsv", "txt"):
        return "csv"
    if suffix in ("xlsx", "xlsm"):
        return "xlsx"
    if suffix in ("jsonl", "ndjson", "json"):
        return "jsonl"
    raise ImportFileError(
        f"无法从扩展名判断文件格式：{path.name}（支持 CSV、XLSX、JSON Lines，可用 --format 指定）"
    )


def read_rows(path: Path, fmt: str, *, sheet: str = "") -> Iterator[Row]:
    if not path.is_file():
        raise ImportFileError(f"文件不存在：{path}")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise ImportFileError(
            f"文件超过 {MAX_FILE_BYTES // 1024 // 1024} MB，请拆分后导入：{path.name}"
        )
    if fmt == "csv":
        return _csv_rows(path)
    if fmt == "xlsx":
        return _xlsx_rows(path, sheet)
    if fmt == "jsonl":
        return _jsonl_rows(path)
    raise ImportFileError(f"不支持的格式：{fmt}（支持 {', '.join(FORMATS)}）")


def _csv_rows(path: Path) -> Iterator[Row]:
    text = decode_document(path.read_bytes()).text  # UTF-8 (with or without BOM), GBK...
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    if not reader.fieldnames:
        raise ImportFileError(f"CSV 文件没有表头：{path.name}")
    for number, record in enumerate(reader, start=1):
        yield Row(number, {str(k).strip(): v for k, v in record.items() if k is not None})


def _xlsx_rows(path: Path, sheet: str) -> Iterator[Row]:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged or foreign file
        raise ImportFileError(f"无法读取 XLSX 文件 {path.name}：{exc}") from exc
    try:
        if sheet and sheet not in workbook.sheetnames:
            raise ImportFileError(f"工作表不存在：{sheet}（有：{'、'.join(workbook.sheetnames)}）")
        worksheet = workbook[sheet] if sheet else workbook.worksheets[0]
        rows = worksheet.iter_rows(values_only=True)
        header = next(rows, None)
        if not header:
            raise ImportFileError(f"XLSX 工作表没有表头：{path.name}")
        names = [str(h).strip() if h is not None else "" for h in header]
        for number, cells in enumerate(rows, start=1):
            if all(c is None or c == "" for c in cells):
                continue
            yield Row(number, {n: c for n, c in zip(names, cells, strict=False) if n})
    finally:
        workbook.close()


def _jsonl_rows(path: Path) -> Iterator[Row]:
    with path.open(encoding="utf-8-sig") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                yield Row(number, {"__error__": f"不是有效的 JSON（{exc.msg}）"})
                continue
            if not isinstance(record, Mapping):
                yield Row(number, {"__error__": "每行应为一个 JSON 对象"})
                continue
            yield Row(number, dict(record))


def column_map(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    mapping = dict(DEFAULT_COLUMNS)
    for column, target in (extra or {}).items():
        mapping[column.strip()] = FIELD_ALIASES.get(target.strip(), target.strip())
    return mapping


def check_map(mapping: Mapping[str, str]) -> list[str]:
    """Targets that are neither an item field, ``extra.NAME`` nor ``-``."""
    return [
        f"{column}={target}"
        for column, target in mapping.items()
        if target not in ITEM_FIELDS and target != "-" and not target.startswith("extra.")
    ]


def row_item(row: Row, mapping: Mapping[str, str], *, now: dt.datetime, file_name: str) -> RawItem:
    values: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for column, value in row.values.items():
        target = mapping.get(column, f"extra.{column}")
        if target == "-" or value is None or value == "":
            continue
        if target.startswith("extra."):
            extra[target[len("extra.") :]] = value
        else:
            values[target] = (
                str(value)
                if isinstance(value, int | float)
                and target
                not in (
                    "likes",
                    "reposts",
                    "comments",
                    "replies",
                )
                else value
            )
    item = build_item(values, now, extra=extra)
    if item.board_reply and not item.board_status:
        item.board_status = REPLIED_STATUS
    # The row as it was in the file is the evidence of an imported item.
    item.evidence_body = json.dumps(row.values, ensure_ascii=False, default=str).encode("utf-8")
    item.evidence_content_type = "application/json; charset=utf-8"
    item.evidence_url = f"导入文件 {file_name} 第 {row.number} 行"[:1000]
    return item
