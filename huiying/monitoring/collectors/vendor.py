"""Batches pushed by professional monitoring vendors: signature, limits, field mapping.

The vendor POSTs ``{"items": [{...}, ...]}`` signed with the source's secret:
``X-Huiying-Signature: sha256=<hex HMAC-SHA256 of the raw body>``. With an
``X-Huiying-Timestamp`` (unix seconds) the batch must be at most five minutes old; the
signature may then also cover ``"<timestamp>." + body`` (recommended: a captured batch
cannot be replayed later). Re-pushing is harmless anyway: items are idempotent on the
vendor's id.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

from huiying.monitoring.collectors.base import FIELD_ALIASES, ITEM_FIELDS
from huiying.monitoring.collectors.json_api import element_item
from huiying.monitoring.types import RawItem

SIGNATURE_HEADER = "X-Huiying-Signature"
TIMESTAMP_HEADER = "X-Huiying-Timestamp"
MAX_SKEW = dt.timedelta(minutes=5)
# Without a field map, a vendor item uses our field names (or their common aliases).
DEFAULT_FIELDS: dict[str, list[str]] = {
    name: [name, *(alias for alias, target in FIELD_ALIASES.items() if target == name)]
    for name in ITEM_FIELDS
}


class PushError(Exception):
    """A rejected push; ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def sign(secret: str, body: bytes, timestamp: str = "") -> str:
    """The header value a vendor sends (used by tests and documented for vendors)."""
    message = f"{timestamp}.".encode() + body if timestamp else body
    return "sha256=" + hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, signature: str, timestamp: str, now: dt.datetime) -> None:
    if not secret:
        raise PushError(401, "该监测源未设置推送密钥，拒绝接收")
    if not signature.startswith("sha256="):
        raise PushError(401, f"缺少或格式错误的签名头 {SIGNATURE_HEADER}（应为 sha256=<十六进制>）")
    if timestamp:
        try:
            sent = dt.datetime.fromtimestamp(int(timestamp), tz=dt.UTC)
        except (ValueError, OverflowError, OSError) as exc:
            raise PushError(401, f"{TIMESTAMP_HEADER} 应为 Unix 秒数") from exc
        if abs(now - sent) > MAX_SKEW:
            raise PushError(
                401, "推送时间戳与服务器时间相差超过 5 分钟，已拒绝（请检查时钟或重新签名）"
            )
    candidates = [sign(secret, body)]
    if timestamp:
        candidates.append(sign(secret, body, timestamp))
    if not any(hmac.compare_digest(signature.strip(), c) for c in candidates):
        raise PushError(401, "签名校验失败：请用该监测源的密钥对原始请求体计算 HMAC-SHA256")


def parse_batch(body: bytes, *, max_items: int) -> list[Mapping[str, Any]]:
    try:
        data = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise PushError(400, "请求体应为 UTF-8 编码的 JSON") from exc
    except json.JSONDecodeError as exc:
        raise PushError(
            400, f"请求体不是有效的 JSON：第 {exc.lineno} 行第 {exc.colno} 列，{exc.msg}"
        ) from exc
    if not isinstance(data, Mapping) or not isinstance(data.get("items"), list):
        raise PushError(400, '请求体应为 {"items": [...]}，items 为条目列表')
    items = data["items"]
    if len(items) > max_items:
        raise PushError(413, f"一批最多 {max_items} 条，本批 {len(items)} 条，请分批推送")
    problems = [i for i, e in enumerate(items) if not isinstance(e, Mapping)]
    if problems:
        raise PushError(400, f"items 中第 {problems[0] + 1} 项不是对象")
    return items


def batch_items(
    elements: list[Mapping[str, Any]], fields: Mapping[str, Any] | None, now: dt.datetime
) -> list[RawItem]:
    items: list[RawItem] = []
    mapping = fields or DEFAULT_FIELDS
    for position, element in enumerate(elements, start=1):
        item = element_item(element, mapping, now, "")
        if not item.external_id:
            raise PushError(
                400,
                f"items 中第 {position} 项缺少厂商编号 id 和链接 url（用于去重，重复推送不会重复入库）",
            )
        item.evidence_body = json.dumps(element, ensure_ascii=False, sort_keys=True).encode("utf-8")
        item.evidence_content_type = "application/json; charset=utf-8"
        items.append(item)
    return items
