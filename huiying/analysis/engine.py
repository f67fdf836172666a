"""The one door to the analysis pipeline (huiying/analysis/pipeline.py, ``analyze_records``).

Records in: id, title, content, url, platform, author, published_at, likes, reposts, comments,
engagement_history (the item's latest EngagementSample rows), responses (its first comments,
when collected).
Results out: id, topic, topic_scores, sentiment {label, score}, rumor_risk, category
("R3.3-1" … "R3.4-3" or None), severity ("I" … "IV" or None), places, units (codes, lead
first), reasons, heat — or {id, error} for a record it could not read.
"""

from __future__ import annotations

from typing import Any

from huiying.monitoring.models import Item


def record_of(item: Item, history: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The pipeline's record of a stored item; ``history``: its latest engagement samples
    (``{at, likes, reposts, comments}``, oldest first), which give heat its growth."""
    record = {
        "id": item.pk,
        "title": item.title,
        "content": item.text_simplified or item.text,
        "url": item.url,
        "platform": item.platform,
        "author": item.author,
        "published_at": item.published_at.isoformat() if item.published_at else None,
        "likes": item.likes,
        "reposts": item.reposts,
        "comments": item.comments,
    }
    if history:
        record["engagement_history"] = history
    if item.responses:
        # The first comments collected with the post: the rumour model reads them with it.
        record["responses"] = [r for r in item.responses if isinstance(r, str)]
    return record


def analyze(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    from huiying.analysis.pipeline import analyze_records  # loaded once, on first use

    return list(analyze_records(records))
