"""The canonical content of a form: what a handler signs over, hashed."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from huiying.cases.models import Assignment


def _utc(value: dt.datetime | None) -> str | None:
    # The same instant must hash the same whether it was just computed or read back.
    return value.astimezone(dt.UTC).isoformat() if value else None


def issued_content(form: Assignment) -> dict[str, Any]:
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
            for s in form.source_items.order_by("pk")
        ],
        # The files of the posts, not those the unit later adds to its responses or feedback.
        "attachments": [
            a.sha256
            for a in form.attachments.filter(response__isnull=True, feedback__isnull=True).order_by(
                "pk"
            )
        ],
        "version": form.version,
    }


def content_hash(form: Assignment) -> str:
    raw = json.dumps(
        issued_content(form), sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    return hashlib.sha256(raw.encode()).hexdigest()
