"""The all-forms list as an Excel file: exactly the filtered rows the person may see, all pages.

Written with openpyxl's write-only mode (rows go to disk as they are read, a 50,000-row file
takes tens of MB less memory than a normal workbook) into a temporary file that is then
streamed. Titles are untrusted text: every text cell is written as a string, never a formula.
"""

from __future__ import annotations

import datetime as dt
import logging
import tempfile
from collections.abc import Iterator
from typing import IO, Any
from urllib.parse import quote

from django.conf import settings
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from huiying.cases import clocks
from huiying.cases.filters import FormListFilter, filtered_forms
from huiying.cases.models import Category, Severity, Status
from huiying.cases.views_common import forbidden, principal

log = logging.getLogger("huiying.cases.export")
EXPORT_MAX_ROWS = 50_000  # HUIYING_EXPORT_MAX_ROWS overrides it
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
# A text starting with one of these is taken for a formula by spreadsheet programs.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

# (header, column width in characters)
COLUMNS: tuple[tuple[Any, int], ...] = (
    (_("编号"), 24),
    (_("标题"), 48),
    (_("承办单位"), 26),
    (_("牵头/协办"), 10),
    (_("类别"), 22),
    (_("等级"), 8),
    (_("状态"), 12),
    (_("交办时间"), 17),
    (_("签收时间"), 17),
    (_("首次回应时间"), 17),
    (_("反馈时间"), 17),
    (_("办结时间"), 17),
    (_("是否超时"), 14),
)
VALUES = (
    "number",
    "title",
    "unit__name",
    "is_lead",
    "category",
    "severity",
    "status",
    "issued_at",
    "signed_at",
    "responded_at",
    "feedback_at",
    "closed_at",
    "id",
)
CHUNK = 2000


def export_max_rows() -> int:
    return int(getattr(settings, "HUIYING_EXPORT_MAX_ROWS", EXPORT_MAX_ROWS))


class _Cells:
    """Cell factories for one sheet; the styles are made once, not per cell."""

    def __init__(self, ws: WriteOnlyWorksheet) -> None:
        self.ws = ws
        self.bold = Font(bold=True)
        self.head_fill = PatternFill("solid", fgColor="EEF1F5")
        self.tz = timezone.get_current_timezone()

    def header(self, text: str) -> WriteOnlyCell:
        cell = WriteOnlyCell(self.ws, value=text)
        cell.font = self.bold
        cell.fill = self.head_fill
        return cell

    def text(self, value: str) -> Any:
        if not value.startswith(FORMULA_PREFIXES):
            return value
        # Kept as typed, but stored as a string and marked so that editing the cell in Excel
        # does not turn it into a formula either (the quote prefix, shown as nothing).
        cell = WriteOnlyCell(self.ws, value=value)
        cell.data_type = "s"
        cell.quotePrefix = True
        return cell

    def when(self, value: dt.datetime | None) -> Any:
        if value is None:
            return None
        # Excel has no time zones: the wall-clock time in Asia/Shanghai, naive.
        cell = WriteOnlyCell(self.ws, value=value.astimezone(self.tz).replace(tzinfo=None))
        cell.number_format = DATETIME_FORMAT
        return cell


def _overdue_word(views: list[clocks.ClockView]) -> str:
    """The clocks say it: one open and past due, or one met after its due time."""
    if any(v.state == clocks.State.OVERDUE for v in views):
        return _t("是（逾期未办）")
    if any(v.state == clocks.State.DONE_LATE for v in views):
        return _t("是（逾期办理）")
    return _t("否")


def _chunks(qs: Any) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for values in qs.values_list(*VALUES).iterator(chunk_size=CHUNK):
        chunk.append(dict(zip(VALUES, values, strict=True)))
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _rows(qs: Any, cells: _Cells, now: dt.datetime) -> Iterator[list[Any]]:
    labels = {
        "category": {k: str(v) for k, v in Category.choices},
        "severity": {k: str(v) for k, v in Severity.choices},
        "status": {k: str(v) for k, v in Status.choices},
    }
    lead, co = _t("牵头"), _t("协办")
    for chunk in _chunks(qs):
        views = clocks.for_forms([r["id"] for r in chunk], now=now)
        for row in chunk:
            yield [
                cells.text(row["number"] or ""),
                cells.text(row["title"]),
                cells.text(row["unit__name"]),
                lead if row["is_lead"] else co,
                labels["category"].get(row["category"], row["category"]),
                labels["severity"].get(row["severity"], row["severity"]),
                labels["status"].get(row["status"], row["status"]),
                cells.when(row["issued_at"]),
                cells.when(row["signed_at"]),
                cells.when(row["responded_at"]),
                cells.when(row["feedback_at"]),
                cells.when(row["closed_at"]),
                _overdue_word(views.get(row["id"], [])),
            ]


def write_workbook(qs: Any, out: IO[bytes], *, now: dt.datetime) -> int:
    """Write the rows of ``qs`` (forms) to ``out`` as .xlsx; returns how many rows."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_t("交办单"))
    # Column widths and the frozen header must be set before the first row is written.
    for i, (_header, width) in enumerate(COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    cells = _Cells(ws)
    ws.append([cells.header(str(h)) for h, _w in COLUMNS])
    n = 0
    for row in _rows(qs, cells, now):
        ws.append(row)
        n += 1
    wb.save(out)  # type: ignore[arg-type]
    return n


def content_disposition(filename: str, fallback: str) -> str:
    """An ASCII name for old clients and the Chinese one per RFC 5987 / 6266."""
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"


def _refuse(request: HttpRequest, messages: list[str]) -> HttpResponse:
    back = request.GET.copy()
    return render(
        request,
        "cases/export_refused.html",
        {"messages_": messages, "back": back.urlencode()},
        status=400,
    )


@require_GET
def all_export(request: HttpRequest) -> HttpResponse | FileResponse:
    p = principal(request)
    if not (p.sees_all or p.subtree_paths or p.own_unit_ids):
        return forbidden(request, _("您没有查看交办单的权限。"))
    filters = FormListFilter(request.GET or None, principal=p)
    if filters.errors:  # exporting a different list than the one asked for would mislead
        return _refuse(
            request,
            [f"{filters[name].label}：{e}" for name, errs in filters.errors.items() for e in errs],
        )
    now = timezone.now()
    qs = filtered_forms(p, filters.usable(), now=now)
    count, limit = qs.count(), export_max_rows()
    if count > limit:
        return _refuse(
            request,
            [
                _t("筛选结果共 %(n)s 份，超过一次导出的上限 %(max)s 份，请缩小筛选范围（如日期）。")
                % {"n": f"{count:,}", "max": f"{limit:,}"}
            ],
        )
    out = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it once sent)
    rows = write_workbook(qs, out, now=now)
    out.seek(0)
    # A read, so no audit event; but who took which forms out of the system is worth a line.
    log.info("user %s exported %d forms (%s)", request.user.pk, rows, request.GET.urlencode())
    stamp = timezone.localtime(now).strftime("%Y%m%d-%H%M")
    response = FileResponse(out, content_type=XLSX)
    response["Content-Disposition"] = content_disposition(
        _t("交办单_%(stamp)s.xlsx") % {"stamp": stamp}, f"huiying-forms-{stamp}.xlsx"
    )
    response["Cache-Control"] = "no-store"  # forms are internal: no copy left in caches
    return response
