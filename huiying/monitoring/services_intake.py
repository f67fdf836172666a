"""Items that arrive rather than being polled: vendor pushes, file imports, manual entry.

Each goes through ``ingest_items`` like polled items, and leaves a ``SourceRun`` so the
health page shows pushes and imports next to polls (a vendor that stopped pushing shows).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from huiying.common.validators import URL_MESSAGE, is_http_url
from huiying.monitoring.access import is_monitor
from huiying.monitoring.collectors import importer, vendor
from huiying.monitoring.collectors.definition import DEFAULTS
from huiying.monitoring.ingest import IngestResult, ingest_batches, ingest_items
from huiying.monitoring.models import Source, SourceRun
from huiying.monitoring.types import RawItem

log = logging.getLogger("huiying.monitoring.intake")

IMPORT_BATCH = 500
MAX_ROW_ERRORS_SHOWN = 20
MANUAL_SOURCE_CODE = "manual"
MAX_SCREENSHOT_BYTES = 5 * 1024 * 1024
SCREENSHOT_TYPES = {
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
    b"GIF87a": "image/gif",
    b"GIF89a": "image/gif",
}


def _record_run(
    source: Source, started: dt.datetime, fetched: int, stored: IngestResult, error: str = ""
) -> SourceRun:
    now = timezone.now()
    run = SourceRun.objects.create(
        source=source,
        started_at=started,
        finished_at=now,
        ok=True,
        fetched=fetched,
        new_items=stored.new,
        duplicates=stored.duplicates,
        error=error[:3000],
    )
    fields = {"last_success_at": started, "last_attempt_at": started, "consecutive_failures": 0}
    Source.objects.filter(pk=source.pk).update(**fields)
    return run


def _add(total: IngestResult, part: IngestResult) -> None:
    total.new += part.new
    total.duplicates += part.duplicates
    total.updated += part.updated
    total.unchanged += part.unchanged
    total.skipped += part.skipped
    total.item_ids.extend(part.item_ids)


# --- vendor push --------------------------------------------------------------------------


def push_limits(source: Source) -> tuple[int, int]:
    """(max body bytes, max items per batch) of a vendor source."""
    config = source.config or {}
    defaults = DEFAULTS["vendor_push"]
    return int(config.get("max_bytes", defaults["max_bytes"])), int(
        config.get("max_items", defaults["max_items"])
    )


def receive_push(
    *, source: Source, body: bytes, signature: str, timestamp: str, now: dt.datetime | None = None
) -> IngestResult:
    """Verify and store one pushed batch; raises vendor.PushError with the HTTP status."""
    now = now or timezone.now()
    if source.kind != Source.Kind.VENDOR_PUSH or not source.is_active:
        raise vendor.PushError(404, "没有这个推送源，或已停用")
    max_bytes, max_items = push_limits(source)
    if len(body) > max_bytes:
        raise vendor.PushError(413, f"请求体超过 {max_bytes // 1024} KB，请分批推送")
    vendor.verify(source.secret, body, signature, timestamp, now)
    elements = vendor.parse_batch(body, max_items=max_items)
    items = vendor.batch_items(elements, (source.config or {}).get("fields"), now)
    stored = ingest_items(source=source, items=items, now=now) if items else IngestResult()
    _record_run(source, now, len(items), stored)
    log.info(
        "push %s: %d items, %d new, %d duplicates, %d updated, %d unchanged",
        source.code,
        len(items),
        stored.new,
        stored.duplicates,
        stored.updated,
        stored.unchanged,
    )
    return stored


# --- file import --------------------------------------------------------------------------


@dataclass
class ImportReport:
    rows: int = 0
    stored: IngestResult = field(default_factory=IngestResult)
    row_errors: list[str] = field(default_factory=list)


def import_file(
    *,
    source: Source,
    path: Path,
    fmt: str = "",
    columns: Mapping[str, str] | None = None,
    sheet: str = "",
    batch_size: int = IMPORT_BATCH,
    dry_run: bool = False,
    progress: Callable[[ImportReport], None] | None = None,
) -> ImportReport:
    """Import a CSV / XLSX / JSON Lines file into ``source`` in batches (ImportFileError when
    the file as a whole cannot be read; bad rows are reported and skipped). ``progress`` is
    called after each stored batch."""
    fmt = fmt or importer.guess_format(path)
    mapping = importer.column_map(
        {**((source.config or {}).get("columns") or {}), **(columns or {})}
    )
    if bad := importer.check_map(mapping):
        raise importer.ImportFileError(f"列映射的目标字段无效：{'、'.join(bad)}")
    started = timezone.now()
    report = ImportReport()

    read = 0  # rows read so far (the reader runs a batch ahead of storing)
    ends: list[int] = []  # rows read when each batch was complete

    def batches() -> Iterator[list[RawItem]]:
        nonlocal read
        batch: list[RawItem] = []
        for row in importer.read_rows(path, fmt, sheet=sheet):
            read += 1
            if "__error__" in row.values:
                report.row_errors.append(f"第 {row.number} 行：{row.values['__error__']}")
                continue
            try:
                batch.append(importer.row_item(row, mapping, now=started, file_name=path.name))
            except (ValueError, TypeError) as exc:
                report.row_errors.append(f"第 {row.number} 行：{exc}")
            if len(batch) >= batch_size:
                ends.append(read)
                yield batch
                batch = []
        ends.append(read)
        if batch:
            yield batch

    if dry_run:
        for _batch in batches():
            report.rows = read
            if progress is not None:
                progress(report)
    else:
        # The next batch is read and prepared (in the preparation pool) while this one is
        # stored: an import uses every core. Progress counts the rows of stored batches.
        for done, result in enumerate(ingest_batches(source=source, batches=batches())):
            _add(report.stored, result)
            report.rows = ends[done]
            if progress is not None:
                progress(report)
    report.rows = read
    if not dry_run:
        errors = "；".join(report.row_errors[:MAX_ROW_ERRORS_SHOWN])
        _record_run(source, started, report.rows, report.stored, errors)
    log.info(
        "import %s into %s: %d rows, %d new", path.name, source.code, report.rows, report.stored.new
    )
    return report


# --- manual entry -------------------------------------------------------------------------


def manual_source() -> Source:
    """The source manual entries belong to (created on first use)."""
    source, _created = Source.objects.get_or_create(
        code=MANUAL_SOURCE_CODE,
        defaults={"name": "人工录入", "kind": Source.Kind.MANUAL, "platform": "人工录入"},
    )
    return source


def screenshot_type(data: bytes) -> str:
    for magic, content_type in SCREENSHOT_TYPES.items():
        if data.startswith(magic):
            return content_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return ""


def manual_entry(
    *,
    actor: Any,
    url: str,
    title: str,
    text: str,
    platform: str = "",
    author: str = "",
    published_at: dt.datetime | None = None,
    screenshot: bytes = b"",
    source: Source | None = None,
) -> IngestResult:
    """A post a monitor saw and recorded by hand; the screenshot (if any) is its evidence."""
    if not is_monitor(actor):
        raise PermissionDenied(_("只有网信办或监测人员可以录入舆情信息"))
    errors: dict[str, str] = {}
    if not (title.strip() or text.strip()):
        errors["text"] = _("请填写标题或正文")
    if url.strip() and not is_http_url(url.strip()):
        errors["url"] = str(URL_MESSAGE)
    content_type = ""
    if screenshot:
        content_type = screenshot_type(screenshot)
        if not content_type:
            errors["screenshot"] = _("截图应为 PNG、JPEG、GIF 或 WebP 图片")
        elif len(screenshot) > MAX_SCREENSHOT_BYTES:
            errors["screenshot"] = _("截图不超过 5 MB")
    if errors:
        raise ValidationError(errors)
    source = source or manual_source()
    now = timezone.now()
    item = RawItem(
        url=url.strip(),
        title=title.strip(),
        text=text.strip(),
        author=author.strip(),
        platform=platform.strip(),
        published_at=published_at,
        extra={"entered_by": actor.pk},
    )
    if screenshot:
        item.evidence_body = screenshot
        item.evidence_content_type = content_type
        item.evidence_url = url.strip() or "人工录入截图"
    stored = ingest_items(source=source, items=[item], now=now)
    _record_run(source, now, 1, stored)
    log.info("manual entry by %s into %s: item %s", actor.pk, source.code, stored.item_ids)
    return stored
