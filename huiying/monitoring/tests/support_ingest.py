"""Helpers shared by the ingestion, search and watch tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from huiying.monitoring.models import Source
from huiying.monitoring.types import RawItem

LONG_POST = (
    "南通市崇川区濠河边某小区楼下烧烤店每天营业到凌晨两点，油烟和噪音严重影响居民休息，"
    "多次向12345反映，希望相关部门尽快处理，还居民一个安静的环境。小区里有老人和孩子，"
    "晚上根本睡不着觉，物业说管不了，城管来了一次也没有下文。"
)


def make_source(code: str = "board", **kw: Any) -> Source:
    defaults: dict[str, Any] = {"name": code, "kind": Source.Kind.HTML, "platform": "人民网留言板"}
    defaults.update(kw)
    return Source.objects.create(code=code, **defaults)


def raw(n: int | str = 1, **kw: Any) -> RawItem:
    defaults: dict[str, Any] = {
        "url": f"https://liuyan.example.cn/thread/{n}",
        "title": f"留言 {n}",
        "text": f"第 {n} 条留言：南通某处的问题需要处理，编号 {n}。",
        "external_id": str(n),
        "published_at": timezone.now() - dt.timedelta(minutes=5),
    }
    defaults.update(kw)
    return RawItem(**defaults)
