"""研判 of a batch of items: the objects `huiying analyze` writes, one per input record.

``analyze_records`` is the one entry point (the batch CLI, the triage desk and the bench use
it). Every model runs once per batch on one shared feature matrix; routing (places, units
and the R1 reasons) comes from :mod:`huiying.analysis.routing`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

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
# engagement_history (optional): [{"at": ISO time, "likes", "reposts", "comments"}, ...]
MAX_CONTENT = 1_000_000  # characters; longer content is an error, not a slow run
# Optional ``responses``: the first comments/reposts of the post (crowd responses); only the
# first text.MAX_RESPONSES are read; a longer list or longer strings are an error.
MAX_RESPONSES_IN = 200
MAX_RESPONSE_CHARS = 10_000
REACH_BONUS = 15.0
GROWTH_WEIGHT = 10.0  # heat from growth: 10·log10(1 + interactions per hour)
MIN_GROWTH_HOURS = 0.5  # a post a minute old counts as half an hour old
GROWTH_REASON_RATE = 100.0  # from this many interactions per hour the reasons name the growth
MAX_HISTORY = 1000  # engagement_history entries read per record
LOCAL_TZ = ZoneInfo("Asia/Shanghai")  # a published_at without an offset is China time
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
        if not _count_ok(rec.get(k)):
            raise RecordError(f"invalid {k} (a non-negative number)")
    history = rec.get("engagement_history")
    if history is not None and not _valid_history(history):
        raise RecordError(
            "invalid engagement_history (a list of {at, likes, reposts, comments}, "
            "at an ISO 8601 time, counts non-negative numbers)"
        )
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


def _count_ok(v: Any) -> bool:
    return v is None or (
        not isinstance(v, bool) and isinstance(v, (int, float)) and math.isfinite(v) and v >= 0
    )


def _valid_history(history: Any) -> bool:
    if not isinstance(history, list) or len(history) > MAX_HISTORY:
        return False
    return all(
        isinstance(h, dict)
        and parse_time(h.get("at")) is not None
        and all(_count_ok(h.get(k)) for k in ("likes", "reposts", "comments"))
        for h in history
    )


def _engagement(likes: Any, reposts: Any, comments: Any) -> float:
    return float(likes or 0) + 2.0 * float(reposts or 0) + 1.5 * float(comments or 0)


def parse_time(value: Any) -> dt.datetime | None:
    """An ISO 8601 time as an aware datetime (a time without offset is China time), or None."""
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            moment = dt.datetime.fromisoformat(text)
        except ValueError:
            return None
    else:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=LOCAL_TZ)


@dataclass(frozen=True)
class Growth:
    """Interactions per hour, and over which span they were counted (for the reason)."""

    rate: float
    hours: float
    since_publication: bool


def growth(rec: dict[str, Any], now: dt.datetime) -> Growth | None:
    """How fast the post gathers interactions, counted up to ``now``.

    With an ``engagement_history`` of two or more samples: the rise between the last two,
    over the time from the earlier of them to ``now`` (so a rise never seen again fades as
    time passes). Otherwise with ``published_at``: the totals over the hours since publication.
    Otherwise none. Hours are at least ``MIN_GROWTH_HOURS``, so a post a minute old does not
    explode.
    """
    history = rec.get("engagement_history")
    if isinstance(history, list) and len(history) >= 2:
        points = sorted(
            (t, _engagement(h.get("likes"), h.get("reposts"), h.get("comments")))
            for h in history
            if isinstance(h, dict) and (t := parse_time(h.get("at"))) is not None
        )
        if len(points) >= 2:
            (t0, e0), (t1, e1) = points[-2], points[-1]
            hours = max((max(now, t1) - t0).total_seconds() / 3600.0, MIN_GROWTH_HOURS)
            return Growth(max(0.0, e1 - e0) / hours, hours, since_publication=False)
    published = parse_time(rec.get("published_at"))
    if published is None:
        return None
    eng = _engagement(rec.get("likes"), rec.get("reposts"), rec.get("comments"))
    hours = max((now - published).total_seconds() / 3600.0, MIN_GROWTH_HOURS)
    return Growth(eng / hours, hours, since_publication=True)


def _span(hours: float) -> str:
    if hours < 1.0:
        return f"{round(hours * 60):d}分钟"
    return f"{hours:.0f}小时" if hours >= 10 or hours == int(hours) else f"{hours:.1f}小时"


def heat_with_reason(rec: dict[str, Any], now: dt.datetime | None = None) -> tuple[float, str]:
    """Heat 0…100 of one record at ``now``, and a reason when its growth is what made it hot.

    ``12·log10(1 + E)`` where E = likes + 2·reposts + 1.5·comments, plus
    ``10·log10(1 + R)`` where R is the growth in the same weighted interactions per hour
    (see :func:`growth`), plus 15 for provincial-or-higher media, plus ``8·log2(1 + copies)``,
    capped at 100. A post with 1,000 interactions scores about 36 without growth; gathered in
    one hour it scores about 66, over four days about 46.
    """
    now = now or dt.datetime.now(dt.UTC)
    eng = _engagement(rec.get("likes"), rec.get("reposts"), rec.get("comments"))
    h = 12.0 * math.log10(1.0 + eng)
    reason = ""
    g = growth(rec, now)
    if g is not None and g.rate > 0:
        term = GROWTH_WEIGHT * math.log10(1.0 + g.rate)
        h += term
        if g.rate >= GROWTH_REASON_RATE:
            where = f"发布后{_span(g.hours)}内" if g.since_publication else f"近{_span(g.hours)}"
            reason = f"热度：{where}互动增长约 {g.rate:.0f} 次/小时（+{term:.0f}）"
    source = " ".join(str(rec.get(k) or "") for k in ("platform", "author", "url"))
    if source.strip() and category.MEDIA.search(source):
        h += REACH_BONUS
    h += 8.0 * math.log2(1.0 + float(rec.get("copies") or 0))
    return round(max(0.0, min(100.0, h)), 2), reason


def heat(rec: dict[str, Any], now: dt.datetime | None = None) -> float:
    """Engagement and its growth, the source's reach, the number of copies: see
    :func:`heat_with_reason` for the formula."""
    return heat_with_reason(rec, now)[0]


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
    records: Sequence[Any], *, models: TextModels | None = None, now: dt.datetime | None = None
) -> list[dict[str, Any]]:
    """One output object per record, in order; a bad record gets ``{"id", "error"}``.

    ``now`` is the moment growth is counted up to (heat), fixed once for the whole batch;
    by default the time of the call.
    """
    m = models or default_models()
    now = now or dt.datetime.now(dt.UTC)
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
            h, heat_reason = heat_with_reason(rec, now)
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
            if heat_reason:
                reasons.append(heat_reason)
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
