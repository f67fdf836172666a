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

    def reply_due(self, item: Published) -> dt.datetime:
        """When the board answers this post: between half and twice ``reply_after`` (by id),
        so many replies come after the post has left the first list pages."""
        factor = 0.5 + (item.id * 37 % 16) / 10  # 0.5 .. 2.0
        return item.published_at + self.reply_after * factor

    def board_reply(self, item: Published) -> tuple[str, str, dt.datetime | None]:
        """(status, reply text, replied at) as the board shows them now."""
        post = item.post
        replied_at = self.reply_due(item)
        now = self.clock()
        if post.reply and now >= replied_at:
            return post.status or "已回复", post.reply, replied_at
        if post.reply and now >= item.published_at + (replied_at - item.published_at) / 2:
            return "办理中", "", None  # passed on to a unit (转办), not answered yet
        return ("已受理" if post.reply else "未回复"), "", None

    def handling_unit(self, item: Published) -> str:
        """The unit a post was passed to (转办), shown once it is being handled."""
        status, _reply, _at = self.board_reply(item)
        if status in ("已受理", "未回复"):
            return ""
        return f"{item.post.area}{('城市管理局', '住房和城乡建设局', '交通运输局', '市场监督管理局')[item.id % 4]}"

    def reply_unit(self, item: Published) -> str:
        return f"{item.post.area}人民政府" if self.board_reply(item)[1] else ""

    def comments(self, item: Published) -> list[str]:
        """The post's first comments shown now: its own (posts.yaml), else a few from the
        generator's pool (by id): two at once, one more every 20 seconds of age, so a re-read
        finds more."""
        pool = list(item.post.comments)
        if not pool and item.post.channel == "weibo":
            shared = self.corpus.generator.get("comments") or []
            if shared:
                pool = [shared[(item.id * 3 + k) % len(shared)] for k in range(3)]
        shown = 2 + int(item.age_seconds(self.clock()) // 20)
        return pool[:shown]

    def engagement(self, item: Published) -> dict[str, int]:
        """Counts that grow with age, differently per post (deterministic)."""
        minutes = item.age_seconds(self.clock()) / 60
        k = item.id % 7 + 1
        return {
            "attitudes_count": int(minutes * k * 3),
            "reposts_count": int(minutes * k),
            "comments_count": int(minutes * (k + 2) / 2),
        }
