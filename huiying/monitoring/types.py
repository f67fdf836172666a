"""What a collector hands to ingestion: one raw item, not yet normalised or de-duplicated."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any


@dataclass
class RawItem:
    url: str = ""
    title: str = ""
    text: str = ""  # plain text (collectors strip HTML); the original markup lives in evidence
    author: str = ""
    published_at: dt.datetime | None = None  # aware
    external_id: str = ""  # the platform's or vendor's own id, when it has one
    platform: str = ""  # defaults to the source's platform
    board_reply: str = ""
    board_status: str = ""
    board_replied_at: dt.datetime | None = None
    likes: int = 0
    reposts: int = 0
    comments: int = 0
    replies: int = 0
    # The first comments as published (text only, oldest first); ingestion keeps the first
    # 20, each cut at 2,000 characters.
    responses: list[str] = field(default_factory=list)
    evidence_body: bytes = b""  # the fetched document, kept with its SHA-256
    evidence_url: str = ""
    evidence_content_type: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
