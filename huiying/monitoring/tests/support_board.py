"""An imitation of a 人民网 地方领导留言板-style board for collector tests, served in GBK.

Pages declare ``charset=gb2312`` (as many old boards do) while using characters only
GBK / GB18030 define (喆, 堃), so decoding must use the superset.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Any

from huiying.monitoring.tests.support_http import LocalSite


@dataclass
class Post:
    id: int
    title: str
    author: str
    text: str
    posted: str  # as the detail page writes it
    listed: str  # as the list page writes it ("3分钟前", "昨天 14:20"...)
    status: str = "未回复"
    reply: str = ""
    reply_time: str = ""


POSTS = [
    Post(
        101,
        "崇川区濠河边烧烤店油烟噪音扰民",
        "王喆",
        "濠河边小区楼下烧烤店营业到凌晨两点。\n油烟和噪音严重影响居民休息。",
        "2024-05-03 10:20:31",
        "3分钟前",
    ),
    Post(
        102,
        "通州区金沙街道学校门口交通拥堵",
        "李堃",
        "每天放学时段校门口堵得水泄不通，希望增派交警疏导。",
        "2024-05-02 08:05:00",
        "昨天 08:05",
        "办理中",
    ),
    Post(
        103,
        "海门区三星镇农民工工资被拖欠",
        "张先生",
        "某住宅项目拖欠二十多名农民工工资三个月。",
        "2024-05-01 16:40:12",
        "2024-05-01 16:40",
        "已办理",
        "您好，海门区人社局已介入，工资已于5月6日全部发放。",
        "2024-05-06 09:30:00",
    ),
    Post(
        104,
        "如皋市搬经镇村道破损多年未修",
        "搬经村民",
        "村道坑坑洼洼，下雨天全是泥水。",
        "2024-04-28 07:00:00",
        "2024-04-28 07:00",
        "已办理",
        "您好，该道路已列入今年农村公路提档升级计划。",
        "2024-05-02 10:00:00",
    ),
    Post(
        105,
        "启东市汇龙镇老桥桥面裂缝",
        "启东热心市民",
        "老桥桥面出现明显裂缝，栏杆松动。",
        "2024-04-27 18:15:00",
        "2024-04-27 18:15",
        "已受理",
    ),
]

BOARD_DEFINITION: dict[str, Any] = {
    "code": "test-board",
    "name": "南通市地方领导留言板（测试）",
    "kind": "html",
    "platform": "人民网留言板",
    "interval_seconds": 300,
    "config": {
        "delay_seconds": 0,
        "timeout_seconds": 5,
        "list": {
            "item": "li.replyItem",
            "link": "h2 a@href",
            "title": "h2 a",
            "published": ".time",
            "status": ".state",
            "id_from_url": r"/thread/(\d+)\.html",
            "next_page": "div.page a.next@href",
            "max_pages": 5,
        },
        "detail": {
            "title": "h1.title",
            "text": "xpath://div[@class='content']/p",
            "author": ".meta .author",
            "published": ".meta .time",
            "status": ".meta .state",
            "reply": ".reply .reply-content",
            "reply_time": "xpath://div[@class='reply']/span[@class='reply-time']/text()",
        },
    },
}


def _page(title: str, body: str) -> bytes:
    html = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
        f"<title>{escape(title)}</title></head><body>{body}</body></html>"
    )
    return html.encode("gb18030")


def list_page(posts: list[Post], next_href: str = "") -> bytes:
    rows = "".join(
        f'<li class="replyItem"><h2><a href="/thread/{p.id}.html" target="_blank">{escape(p.title)}</a></h2>'
        f'<span class="time">{p.listed}</span><span class="state">{escape(p.status)}</span></li>'
        for p in posts
    )
    pager = (
        f'<div class="page"><a class="next" href="{next_href}">下一页</a></div>'
        if next_href
        else ""
    )
    return _page("南通市地方领导留言板", f'<div class="replyList"><ul>{rows}</ul></div>{pager}')


def thread_page(p: Post) -> bytes:
    paragraphs = "".join(f"<p>{escape(line)}</p>" for line in p.text.splitlines())
    reply = ""
    if p.reply:
        reply = (
            f'<div class="reply"><span class="reply-org">人民政府</span><span class="reply-time">{p.reply_time}</span>'
            f'<div class="reply-content"><p>{escape(p.reply)}</p></div></div>'
        )
    body = (
        f'<div class="thread"><h1 class="title">{escape(p.title)}</h1>'
        f'<div class="meta"><span class="author">{escape(p.author)}</span><span class="time">{p.posted}</span>'
        f'<span class="state">{escape(p.status)}</span></div><div class="content">{paragraphs}</div>{reply}'
        "<script>var tracker = 1;</script></div>"
    )
    return _page(p.title, body)


def publish(site: LocalSite, posts: list[Post], *, page_size: int = 3, etag: str = '"v1"') -> None:
    """Serve ``posts`` (newest first) as list pages of ``page_size`` and their threads."""
    pages = [posts[i : i + page_size] for i in range(0, len(posts), page_size)]
    for number, chunk in enumerate(pages, start=1):
        path = "/list" if number == 1 else f"/list?page={number}"
        next_href = f"/list?page={number + 1}" if number < len(pages) else ""
        site.page(
            path,
            list_page(chunk, next_href),
            content_type="text/html",
            etag=f'{etag[:-1]}-{number}"' if etag else "",
        )
    for p in posts:
        site.page(f"/thread/{p.id}.html", thread_page(p), content_type="text/html; charset=gb2312")
