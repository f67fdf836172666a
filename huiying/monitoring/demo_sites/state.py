"""What the demo sites have published so far, shared by the publisher and the handlers."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from huiying.monitoring.demo_sites.corpus import Corpus, DemoPost, load_corpus

TZ = ZoneInfo("Asia/Shanghai")  # the sites imitate Chinese sites: local time, +08:00
FIRST_ID = 10001  # ids look like a site's, not like a list index


def local_now() -> dt.datetime:
    return dt.datetime.now(TZ)


@dataclass(frozen=True)
class Published:
    id: int
    post: DemoPost
    published_at: dt.datetime

    def age_seconds(self, now: dt.datetime) -> float:
        return max(0.0, (now - self.published_at).total_seconds())


class SiteState:
    """Thread-safe list of published posts; the board replies a while after a post."""

    def __init__(
        self,
        corpus: Corpus | None = None,
        *,
        reply_after: dt.timedelta = dt.timedelta(seconds=30),
        clock: Callable[[], dt.datetime] = local_now,
    ) -> None:
        self.corpus = corpus or load_corpus()
        self.reply_after = reply_after
        self.clock = clock
        self._lock = threading.Lock()
        self._published: list[Published] = []
        self._next = 0

    def publish_next(self, at: dt.datetime | None = None) -> Published:
        with self._lock:
            n = self._next
            self._next += 1
            item = Published(
                id=FIRST_ID + n, post=self.corpus.post(n), published_at=at or self.clock()
            )
            self._published.append(item)
            return item

    def backfill(self, count: int, spacing: dt.timedelta) -> None:
        """Publish ``count`` posts dated in the past, so the sites are not empty at start."""
        now = self.clock()
        for i in range(count):
            self.publish_next(at=now - spacing * (count - i))

    def newest_first(self, channel: str | None = None) -> list[Published]:
        with self._lock:
            rows = list(self._published)
        rows.reverse()
        return [p for p in rows if channel is None or p.post.channel == channel]

    def get(self, post_id: int) -> Published | None:
        with self._lock:
            index = post_id - FIRST_ID
            return self._published[index] if 0 <= index < len(self._published) else None

    def count(self) -> int:
        with self._lock:
            return len(self._published)

    def board_reply(self, item: Published) -> tuple[str, str, dt.datetime | None]:
        """(status, reply text, replied at) as the board shows them now."""
        post = item.post
        replied_at = item.published_at + self.reply_after
        if post.reply and self.clock() >= replied_at:
            return post.status or "已回复", post.reply, replied_at
        return ("已受理" if post.reply else "未回复"), "", None

    def engagement(self, item: Published) -> dict[str, int]:
        """Counts that grow with age, differently per post (deterministic)."""
        minutes = item.age_seconds(self.clock()) / 60
        k = item.id % 7 + 1
        return {
            "attitudes_count": int(minutes * k * 3),
            "reposts_count": int(minutes * k),
            "comments_count": int(minutes * (k + 2) / 2),
        }
