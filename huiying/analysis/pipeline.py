"""研判 of a batch of items: the objects `huiying analyze` writes, one per input record.

``analyze_records`` is the one entry point (the batch CLI, the triage desk and the bench use
it). Every model runs once per batch on one shared feature matrix; routing (places, units
and the R1 reasons) comes from :mod:`huiying.analysis.routing`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .nlp import category, sentiment, text
from .nlp.models import TextModels, default_models

KEYS = (
    "id",
    "topic",
    "topic_scores",
    "sentiment",
    "rumor_risk",
    "category",
    "severity",
    "places",
    "units",
    "reasons",
    "heat",
)
OPTIONAL_NUMBERS = ("likes", "reposts", "comments", "copies")
OPTIONAL_TEXT = ("title", "url", "platform", "author", "published_at")
MAX_CONTENT = 1_000_000  # characters; longer content is an error, not a slow run
# Optional ``responses``: the first comments/reposts of the post (crowd responses); only the
# first text.MAX_RESPONSES are read; a longer list or longer strings are an error.
MAX_RESPONSES_IN = 200
MAX_RESPONSE_CHARS = 10_000
REACH_BONUS = 15.0
_ID_TYPES = (str, int)


class RecordError(ValueError):
    """A record that cannot be analysed; the batch goes on without it."""


def _validate(rec: Any) -> dict[str, Any]:
    if not isinstance(rec, dict):
        raise RecordError("not a JSON object")
    if "id" not in rec or isinstance(rec["id"], bool) or not isinstance(rec["id"], _ID_TYPES):
        raise RecordError("missing or invalid id (a string or an integer)")
    content = rec.get("content")
    if not isinstance(content, str):
        raise RecordError("missing or invalid content (a string)")
    if len(content) > MAX_CONTENT:
        raise RecordError(f"content longer than {MAX_CONTENT} characters")
    for k in OPTIONAL_TEXT:
        if rec.get(k) is not None and not isinstance(rec[k], str):
            raise RecordError(f"invalid {k} (a string)")
    for k in OPTIONAL_NUMBERS:
        v = rec.get(k)
        if v is not None and (
            isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0
        ):
            raise RecordError(f"invalid {k} (a non-negative number)")
    responses = rec.get("responses")
    if responses is not None and (
        not isinstance(responses, list)
        or len(responses) > MAX_RESPONSES_IN
        or not all(isinstance(x, str) and len(x) <= MAX_RESPONSE_CHARS for x in responses)
    ):
        raise RecordError(
            f"invalid responses (a list of at most {MAX_RESPONSES_IN} strings "
            f"of at most {MAX_RESPONSE_CHARS} characters)"
        )
    return rec


def heat(rec: dict[str, Any]) -> float:
    """Engagement (likes, reposts, comments), the source's reach, and the number of copies.

    ``12·log10(1 + likes + 2·reposts + 1.5·comments)`` plus 15 for provincial-or-higher
    media plus ``8·log2(1 + copies)``; a post with 1,000 interactions scores about 36, one
    with 100,000 about 60, capped at 100.
    """
    eng = (
        float(rec.get("likes") or 0)
        + 2.0 * float(rec.get("reposts") or 0)
        + 1.5 * float(rec.get("comments") or 0)
    )
    h = 12.0 * math.log10(1.0 + eng)
    source = " ".join(str(rec.get(k) or "") for k in ("platform", "author", "url"))
    if source.strip() and category.MEDIA.search(source):
        h += REACH_BONUS
    h += 8.0 * math.log2(1.0 + float(rec.get("copies") or 0))
    return round(min(100.0, h), 2)


def _router() -> Callable[..., Any] | None:
    try:
        from . import routing
    except Exception:  # pragma: no cover - routing absent or Django not configured
        return None
    return routing.route


def _rumor_with_responses(
    m: TextModels, recs: Sequence[dict[str, Any]], counts: Any, rumor_p: np.ndarray
) -> None:
    """Records that carry responses get the post + responses rumour model, in place."""
    idx = [j for j, r in enumerate(recs) if any(x.strip() for x in r.get("responses") or ())]
    if not idx or m.rumor_responses is None:
        return
    joined = [text.join_responses(recs[j]["responses"]) for j in idx]
    p = m.rumor_proba_responses(counts[idx] + text.counts(text.clean_batch(joined)))
    if p is not None:
        rumor_p[idx] = p


def analyze_records(
    records: Sequence[Any], *, models: TextModels | None = None
) -> list[dict[str, Any]]:
    """One output object per record, in order; a bad record gets ``{"id", "error"}``."""
    m = models or default_models()
    out: list[dict[str, Any] | None] = [None] * len(records)
    good: list[int] = []
    raw: list[str] = []
    for i, rec in enumerate(records):
        try:
            r = _validate(rec)
        except RecordError as exc:
            rid = rec.get("id") if isinstance(rec, dict) else None
            out[i] = {"id": rid if isinstance(rid, _ID_TYPES) else None, "error": str(exc)}
            continue
        good.append(i)
        title = r.get("title") or ""
        raw.append(f"{title}。{r['content']}" if title else r["content"])
    if good:
        cleaned = text.clean_batch(raw)
        counts = text.counts(cleaned)
        topic_p = m.topic_proba(counts)
        pos_p = m.positive_proba(counts)
        rumor_p = m.rumor_proba(counts)
        _rumor_with_responses(m, [records[i] for i in good], counts, rumor_p)
        senti = sentiment.scores(cleaned, pos_p)
        top3 = np.argsort(-topic_p, axis=1)[:, :3]
        route = _router()
        classes = m.topic_classes
        for j, i in enumerate(good):
            rec = records[i]
            probs = topic_p[j]
            topic = classes[int(top3[j, 0])]
            label, score = senti[j]
            risk = round(float(rumor_p[j]), 3)
            h = heat(rec)
            source = " ".join(str(rec.get(k) or "") for k in ("platform", "author", "url"))
            judged = category.judge(
                cleaned[j],
                source=source,
                negativity=max(0.0, -score),
                rumor_risk=risk,
                heat=h,
            )
            places: list[str] = []
            units: list[str] = []
            reasons = [f"主题：{topic}（{float(probs[top3[j, 0]]):.2f}）", *judged.reasons]
            if route is not None and cleaned[j]:
                try:
                    routed = route(
                        text=str(rec["content"])[: text.MAX_CHARS * 2],
                        title=str(rec.get("title") or ""),
                        topic=topic,
                        category=judged.category,
                    )
                    places = list(routed.places)
                    units = list(routed.units)
                    reasons += list(routed.reasons)
                except Exception as exc:  # routing must never lose the item's analysis
                    reasons.append(f"归口未完成：{type(exc).__name__}")
            if risk >= 0.7:
                reasons.append(f"不实信息风险较高（{risk:.2f}）")
            out[i] = {
                "id": rec["id"],
                "topic": topic,
                "topic_scores": {classes[int(k)]: round(float(probs[k]), 4) for k in top3[j]},
                "sentiment": {"label": label, "score": score},
                "rumor_risk": risk,
                "category": judged.category,
                "severity": judged.severity,
                "places": places,
                "units": units,
                "reasons": reasons,
                "heat": h,
            }
    return [o if o is not None else {"id": None, "error": "internal"} for o in out]
