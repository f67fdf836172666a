"""Which collector reads which kind of source (the polled kinds only)."""

from __future__ import annotations

from collections.abc import Callable

from huiying.monitoring.collectors import feed, html, json_api, search
from huiying.monitoring.collectors.base import Context, Outcome

Collector = Callable[[Context], Outcome]

COLLECTORS: dict[str, Collector] = {
    "feed": feed.collect,
    "html": html.collect,
    "json_api": json_api.collect,
    "search": search.collect,
}


def collector_for(kind: str) -> Collector | None:
    return COLLECTORS.get(kind)
