"""The demo posts (posts.yaml) and the generator that continues after them."""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

POSTS_FILE = Path(__file__).with_name("posts.yaml")
CHANNELS = ("board", "weibo", "news")


@dataclass(frozen=True)
class DemoPost:
    key: str
    channel: str  # board | weibo | news
    area: str
    title: str
    text: str
    author: str
    reply: str = ""
    status: str = ""  # the board's status once replied (已办理 / 办理中); "" when it never replies
    repost_of: str = ""
    comments: tuple[str, ...] = ()  # a Weibo post's first comments, oldest first


@dataclass(frozen=True)
class Corpus:
    posts: tuple[DemoPost, ...]
    generator: dict[str, Any]

    def post(self, n: int) -> DemoPost:
        """The n-th post to publish (0-based): the shipped posts, then generated ones."""
        if n < len(self.posts):
            return self.posts[n]
        return self._generate(n)

    def _generate(self, n: int) -> DemoPost:
        g = self.generator
        rng = random.Random(f"huiying-demo-{n}")  # noqa: S311 - deterministic demo text
        area = rng.choice(sorted(g["areas"]))
        place = rng.choice(g["areas"][area])
        issue = rng.choice(g["issues"])
        extras = rng.sample(g["extras"], 2)
        fill = {"area": area, "place": place, "days": rng.randint(3, 40)}
        text = issue["text"].format(**fill) + "".join(e.format(**fill) for e in extras)
        channel = ("board", "weibo", "board", "news")[n % 4]
        replied = channel == "board" and rng.random() < 0.6
        return DemoPost(
            key=f"gen-{n}",
            channel=channel,
            area=area,
            title=issue["title"].format(**fill),
            text=text,
            author=rng.choice(g["authors"]),
            reply=rng.choice(g["replies"]) if replied else "",
            status=rng.choice(("已办理", "办理中")) if replied else "",
            comments=tuple(rng.sample(g["comments"], 3)) if channel == "weibo" else (),
        )


def _post(row: dict[str, Any]) -> DemoPost:
    if row["channel"] not in CHANNELS:
        raise ValueError(f"posts.yaml: {row['key']}: unknown channel {row['channel']!r}")
    text = str(row["text"]).strip()
    return DemoPost(
        key=str(row["key"]),
        channel=str(row["channel"]),
        area=str(row["area"]),
        # A Weibo post has no title; the board list and feeds need one.
        title=str(row.get("title") or text.splitlines()[0][:30]),
        text=text,
        author=str(row.get("author", "网友")),
        reply=str(row.get("reply", "")).strip(),
        status=str(row.get("status", "")) if row.get("reply") else "",
        repost_of=str(row.get("repost_of", "")),
        comments=tuple(str(c).strip() for c in row.get("comments") or ()),
    )


@lru_cache(maxsize=1)
def load_corpus() -> Corpus:
    data = yaml.safe_load(POSTS_FILE.read_text(encoding="utf-8"))
    return Corpus(posts=tuple(_post(row) for row in data["posts"]), generator=data["generator"])


def demo_texts() -> list[tuple[str, str]]:
    """(title, text) of every shipped post, for benchmarks that need realistic text."""
    return [(p.title, p.text) for p in load_corpus().posts]
