"""What the triage tests share: posts collected through the real ingestion, and a small
deterministic stand-in for the model scores of the analysis pipeline.

The stand-in replaces only ``huiying.analysis.engine.analyze`` (the call into the trained
models), so that a test can say which post is an emergency in which district; everything
after it (storing, grouping, ranking, drafting, alerting) is the real code. A test of the real
pipeline runs when it is installed (test_pipeline_contract.py).
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from django.utils import timezone

from huiying.common import outbox
from huiying.monitoring.ingest import ingest_items
from huiying.monitoring.models import Item, Source
from huiying.monitoring.types import RawItem

_ids = itertools.count(1)

PLACES = {"崇川": "cc", "海门": "hm"}
EMERGENCY_WORDS = ("火灾", "起火", "燃气泄漏", "爆炸", "坍塌")


def standin(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for r in records:
        text = f"{r.get('title') or ''} {r.get('content') or ''}"
        places = [p for p in PLACES if p in text]
        units = [PLACES[p] for p in places]
        category: str | None = None
        severity: str | None = None
        topic = "城乡建设"
        if any(w in text for w in EMERGENCY_WORDS):
            category, severity, topic = "R3.4-1", "II", "城乡建设"
        elif "噪音" in text or "物业" in text:
            category, severity = "R3.3-2", "IV"
        elif "学校" in text:
            category, severity, topic = "R3.3-4", "III", "教育文体"
        if len(units) > 1:
            units = ["nt-zjj", *units]  # spans districts: the city department leads
        reasons = [f"地点：{p}（{PLACES[p]}）" for p in places] + [f"话题：{topic}"]
        negative = any(w in text for w in ("投诉", "扰民", "怒", "火"))
        out.append(
            {
                "id": r["id"],
                "topic": topic,
                "topic_scores": {topic: 0.9},
                "sentiment": {
                    "label": "negative" if negative else "neutral",
                    "score": -0.7 if negative else 0.0,
                },
                "rumor_risk": 0.1,
                "category": category,
                "severity": severity,
                "places": places,
                "units": units if category else [],
                "reasons": reasons,
                "heat": float(r.get("likes") or 0) + 2 * float(r.get("reposts") or 0) + 1.0,
            }
        )
    return out


def source(code: str = "weibo") -> Source:
    return Source.objects.get_or_create(
        code=code,
        defaults={"name": f"微博 {len(code)}", "kind": Source.Kind.MANUAL, "platform": "微博"},
    )[0]


def post(
    text: str, *, title: str = "", minutes_ago: int = 10, likes: int = 0, **kw: Any
) -> RawItem:
    n = next(_ids)
    return RawItem(
        url=f"https://weibo.example.cn/p/{n}",
        title=title,
        text=text,
        external_id=f"p{n}",
        published_at=timezone.now() - dt.timedelta(minutes=minutes_ago),
        likes=likes,
        **kw,
    )


def collect(*raws: RawItem, code: str = "weibo") -> list[Item]:
    """Store posts through the real ingestion and hand the batch to the triage consumer."""
    result = ingest_items(source=source(code), items=list(raws))
    outbox.drain("analysis.items")
    return list(Item.objects.filter(pk__in=result.item_ids).order_by("pk"))
