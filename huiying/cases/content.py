"""The canonical content of a form: what a handler signs over, hashed."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from huiying.cases.models import Assignment

# The parts of the content, named as the form names them (for messages about what differs).
PART_LABELS = {
    "number": "编号",
    "unit": "承办单位",
    "is_lead": "牵头单位",
    "title": "标题",
    "summary": "舆情摘要",
    "category": "类别",
    "severity": "等级",
    "reply_channel": "答复形式",
    "cac_opinion": "交办意见",
    "reply_deadline": "答复时限",
    "feedback_deadline": "反馈时限",
    "sources": "舆情信息",
    "attachments": "附件",
    "version": "内容版本",
}


def _utc(value: dt.datetime | None) -> str | None:
    # The same instant must hash the same whether it was just computed or read back.
    return value.astimezone(dt.UTC).isoformat() if value else None


def _prefetched(form: Assignment, name: str) -> list[Any] | None:
    # The verifier prefetches thousands of forms' rows at once; a service reads them fresh.
    cache = getattr(form, "_prefetched_objects_cache", {})
    return list(cache[name]) if name in cache else None


def issued_content(form: Assignment) -> dict[str, Any]:
    sources = _prefetched(form, "source_items")
    if sources is None:
        sources = list(form.source_items.order_by("pk"))
    files = _prefetched(form, "attachments")
    if files is None:
        files = list(form.attachments.filter(response__isnull=True, feedback__isnull=True))
    return {
        "number": form.number,
        "unit": {"id": form.unit_id, "name": form.unit.name},
        "is_lead": form.is_lead,
        "title": form.title,
        "summary": form.summary,
        "category": form.category,
        "severity": form.severity,
        "reply_channel": form.reply_channel,
        "cac_opinion": form.cac_opinion,
        "reply_deadline": _utc(form.reply_deadline),
        "feedback_deadline": _utc(form.feedback_deadline),
        "sources": [
            {"platform": s.platform, "url": s.url, "title": s.title, "text": s.text}
            for s in sorted(sources, key=lambda s: s.pk)
        ],
        # The files of the posts, not those the unit later adds to its responses or feedback.
        "attachments": [
            a.sha256
            for a in sorted(files, key=lambda a: a.pk)
            if a.response_id is None and a.feedback_id is None
        ],
        "version": form.version,
    }


def _digest(value: Any) -> str:
    raw = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()


def hash_content(content: dict[str, Any]) -> str:
    return _digest(content)


def content_hash(form: Assignment) -> str:
    return hash_content(issued_content(form))


def content_record(form: Assignment) -> dict[str, Any]:
    """What the audit event of an issue, amendment, back-fill or signature keeps of the content:
    its hash and a short digest of each part, so that verification can later say which part
    was changed behind the application's back (``huiying/cases/integrity.py``)."""
    content = issued_content(form)
    return {
        "hash": hash_content(content),
        "parts": {name: _digest(value)[:16] for name, value in content.items()},
    }


def part_digest(value: Any) -> str:
    return _digest(value)[:16]


def former_unit_names(unit_id: int) -> set[str]:
    """Every name the unit had according to the audit log (a form hashes the name it had)."""
    from huiying.common.models import AuditEvent

    names: set[str] = set()
    rows = AuditEvent.objects.filter(object_type="unit", object_id=str(unit_id))
    for before, after in rows.values_list("before", "after"):
        for side in (before, after):
            if isinstance(side, dict) and isinstance(side.get("name"), str):
                names.add(side["name"])
    return names


def content_intact(form: Assignment, expected: str) -> bool:
    """Whether the stored content still hashes to ``expected`` (what was issued or signed):
    false after a change made in SQL, behind the services, which never leave it stale."""
    content = issued_content(form)
    if hash_content(content) == expected:
        return True
    return any(
        hash_content(content | {"unit": {"id": form.unit_id, "name": name}}) == expected
        for name in former_unit_names(form.unit_id) - {form.unit.name}
    )
