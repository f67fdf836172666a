"""Pages of the demo sites: a GBK message board, a Weibo-like JSON timeline, an RSS feed
and a search-engine result page. Markup imitates the real sites closely enough that the
collectors' selectors and field mappings are exercised, not the sites' looks."""

from __future__ import annotations

import datetime as dt
import json
import re
from email.utils import format_datetime
from html import escape
from html import unescape as html_unescape
from typing import Any
from urllib.parse import quote
from xml.sax.saxutils import escape as xml_escape

from huiying.monitoring.demo_sites.state import Published, SiteState

BOARD_PAGE_SIZE = 10
WEIBO_PAGE_SIZE = 20
SEARCH_PAGE_SIZE = 10
RSS_SIZE = 30
WEIBO_TIME = "%a %b %d %H:%M:%S %z %Y"  # "Sat May 04 10:20:31 +0800 2024", as Weibo's API
_TOPIC_RE = re.compile(r"#([^#\n]{1,30})#")


def board_time(when: dt.datetime, now: dt.datetime) -> str:
    """How Chinese boards show times: "3分钟前", "今天 14:20", "昨天 14:20", else the date."""
    seconds = (now - when).total_seconds()
    if seconds < 60:
        return "刚刚"
    if seconds < 3600:
        return f"{int(seconds // 60)}分钟前"
    if when.date() == now.date():
        return f"今天 {when:%H:%M}"
    if when.date() == (now - dt.timedelta(days=1)).date():
        return f"昨天 {when:%H:%M}"
    return f"{when:%Y-%m-%d %H:%M}"


def _page(title: str, body: str, charset: str) -> str:
    return (
        f'<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset={charset}">'
        f"<title>{escape(title)}</title></head><body>{body}</body></html>"
    )


def _paras(text: str) -> str:
    return "".join(f"<p>{escape(line)}</p>" for line in text.splitlines() if line.strip())


def _pager(path: str, page: int, has_next: bool, param: str = "page") -> str:
    links = []
    if page > 1:
        links.append(f'<a class="prev" href="{path}?{param}={page - 1}">上一页</a>')
    links.append(f'<span class="current">{page}</span>')
    if has_next:
        links.append(f'<a class="next" href="{path}?{param}={page + 1}">下一页</a>')
    return f'<div class="pages">{"".join(links)}</div>'


def _slice(rows: list[Published], page: int, size: int) -> tuple[list[Published], bool]:
    start = (max(1, page) - 1) * size
    return rows[start : start + size], len(rows) > start + size


# --- message board (GBK) -------------------------------------------------------------------


def board_list(state: SiteState, page: int) -> str:
    now = state.clock()
    rows, has_next = _slice(state.newest_first("board"), page, BOARD_PAGE_SIZE)
    items = []
    for p in rows:
        status, _reply, _at = state.board_reply(p)
        items.append(
            f'<li class="msg" data-tid="{p.id}"><a class="title" href="/board/thread/{p.id}.html">'
            f"{escape(p.post.title)}</a>"
            f'<span class="area">[{escape(p.post.area)}]</span>'
            f'<span class="time">{board_time(p.published_at, now)}</span>'
            f'<span class="state">{escape(status)}</span></li>'
        )
    body = (
        '<div class="header"><h1>南通市地方领导留言板</h1></div>'
        f'<ul class="msg-list">{"".join(items)}</ul>{_pager("/board/list", page, has_next)}'
    )
    return _page("南通市地方领导留言板 - 留言列表", body, "GBK")


def board_thread(state: SiteState, p: Published) -> str:
    status, reply, replied_at = state.board_reply(p)
    reply_html = ""
    if reply and replied_at is not None:
        reply_html = (
            f'<div class="reply"><h3>回复内容</h3><span class="reply-org">{escape(state.reply_unit(p))}</span>'
            f'<span class="reply-time">{replied_at:%Y-%m-%d %H:%M:%S}</span>'
            f'<div class="reply-content">{_paras(reply)}</div></div>'
        )
    if unit := state.handling_unit(p):
        reply_html = f'<div class="handling">转办单位：<span class="handling-unit">{escape(unit)}</span></div>{reply_html}'

    body = (
        f'<div class="thread" data-tid="{p.id}"><h1 class="title">{escape(p.post.title)}</h1>'
        f'<div class="meta"><span class="author">{escape(p.post.author)}</span>'
        f'<span class="area">{escape(p.post.area)}</span>'
        f'<span class="time">{p.published_at:%Y-%m-%d %H:%M:%S}</span>'
        f'<span class="state">{escape(status)}</span></div>'
        f'<div class="content">{_paras(p.post.text)}</div>{reply_html}</div>'
    )
    return _page(f"{p.post.title} - 南通市地方领导留言板", body, "GBK")


# --- Weibo-like timeline (JSON, UTF-8) ------------------------------------------------------


def weibo_text(text: str) -> str:
    """Weibo's API returns HTML text: topics and mentions are links, line breaks are <br />."""
    html = escape(text.replace("\n", " ")).replace("\r", "")
    return _TOPIC_RE.sub(
        lambda m: f'<a href="/weibo/topic?q={quote(m.group(1))}">#{m.group(1)}#</a>', html
    )


def weibo_status(state: SiteState, p: Published, base_url: str) -> dict[str, Any]:
    return {
        "id": p.id,
        "idstr": str(p.id),
        "mid": str(p.id),
        "created_at": p.published_at.strftime(WEIBO_TIME),
        "text": weibo_text(p.post.text),
        "source": "微博 weibo.com",
        "url": f"{base_url}/weibo/status/{p.id}",
        "user": {"id": 5000 + sum(map(ord, p.post.author)) % 5000, "screen_name": p.post.author},
        "region_name": f"发布于 江苏 {p.post.area}",
        **state.engagement(p),
        # The first comments, oldest first (HTML text, as the API gives a status's text).
        "comments": [
            {"id": p.id * 100 + n, "text": weibo_text(c), "user": {"screen_name": f"网友{n + 1}"}}
            for n, c in enumerate(state.comments(p))
        ],
    }


def weibo_timeline(state: SiteState, page: int, base_url: str) -> str:
    rows, has_next = _slice(state.newest_first("weibo"), page, WEIBO_PAGE_SIZE)
    data = {
        "ok": 1,
        "data": {
            "statuses": [weibo_status(state, p, base_url) for p in rows],
            "total_number": len(state.newest_first("weibo")),
            "next_page": page + 1 if has_next else None,
        },
    }
    return json.dumps(data, ensure_ascii=False)


def weibo_page(state: SiteState, p: Published) -> str:
    counts = state.engagement(p)
    comments = "".join(
        f'<div class="comment"><a class="name">网友{n + 1}</a>：<span class="content">{escape(c)}</span></div>'
        for n, c in enumerate(state.comments(p))
    )
    body = (
        f'<div class="weibo-detail" data-mid="{p.id}"><a class="name">{escape(p.post.author)}</a>'
        f'<div class="from">{p.published_at:%Y-%m-%d %H:%M}</div><div class="weibo-text">{weibo_text(p.post.text)}</div>'
        f'<div class="counts">转发 {counts["reposts_count"]} 评论 {counts["comments_count"]} 赞 {counts["attitudes_count"]}</div>'
        f"{comments}</div>"
    )
    return _page(f"{p.post.author}的微博", body, "utf-8")


# --- news site with RSS (UTF-8) -------------------------------------------------------------


def rss(state: SiteState, base_url: str) -> str:
    items = []
    for p in state.newest_first("news")[:RSS_SIZE]:
        link = f"{base_url}/news/article/{p.id}.html"
        items.append(
            "<item>"
            f"<title>{xml_escape(p.post.title)}</title><link>{xml_escape(link)}</link>"
            f"<description>{xml_escape(p.post.text)}</description>"
            f"<author>{xml_escape(p.post.author)}</author>"
            f"<pubDate>{format_datetime(p.published_at)}</pubDate>"
            f'<guid isPermaLink="false">news-{p.id}</guid>'
            "</item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>南通民生网</title><link>{xml_escape(base_url)}/news/</link>"
        f"<description>南通民生新闻</description><language>zh-cn</language>{''.join(items)}"
        "</channel></rss>"
    )


def news_article(p: Published) -> str:
    body = (
        f'<article><h1>{escape(p.post.title)}</h1><div class="info"><span class="source">南通民生网</span>'
        f'<span class="author">{escape(p.post.author)}</span><time>{p.published_at:%Y-%m-%d %H:%M}</time></div>'
        f'<div class="article-content">{_paras(p.post.text)}</div></article>'
    )
    return _page(p.post.title, body, "utf-8")


# --- search engine (UTF-8) ------------------------------------------------------------------


def post_url(p: Published, base_url: str) -> str:
    if p.post.channel == "board":
        return f"{base_url}/board/thread/{p.id}.html"
    if p.post.channel == "news":
        return f"{base_url}/news/article/{p.id}.html"
    return f"{base_url}/weibo/status/{p.id}"


def search_page(state: SiteState, query: str, page: int, base_url: str) -> str:
    """Every word must occur in title or text; "A OR B" style queries match either side."""
    alternatives = [
        alt.split() for alt in re.split(r"\s+(?:OR|\|)\s+", query.strip()) if alt.strip()
    ]
    now = state.clock()

    def hit(p: Published) -> bool:
        hay = f"{p.post.title}\n{p.post.text}"
        return any(all(w in hay for w in words) for words in alternatives)

    rows, has_next = _slice(
        [p for p in state.newest_first() if alternatives and hit(p)], page, SEARCH_PAGE_SIZE
    )
    results = "".join(
        f'<div class="result c-container"><h3 class="t"><a href="{escape(post_url(p, base_url))}">'
        f"{escape(p.post.title)}</a></h3>"
        f'<div class="c-abstract"><span class="c-time">{board_time(p.published_at, now)}</span> '
        f"{escape(p.post.text[:120])}</div></div>"
        for p in rows
    )
    pager = ""
    if has_next:
        pager = f'<div id="page"><a class="n" href="/search?wd={quote(query)}&amp;pn={page + 1}">下一页&gt;</a></div>'
    body = f'<div id="content_left">{results or "<p class=no-result>没有找到相关结果</p>"}</div>{pager}'
    return _page(f"{query}_搜索结果", body, "utf-8")


def index(urls: dict[str, str]) -> str:
    links = "".join(f'<li><a href="{escape(u)}">{escape(k)}</a></li>' for k, u in urls.items())
    return _page("本地模拟站点", f"<h1>本地模拟站点（演示用）</h1><ul>{links}</ul>", "utf-8")


# --- traps: a cursor timeline with limits, a broken feed, redirect links ---------------------


def weibo_cursor_timeline(
    state: SiteState, base_url: str, *, count: int, max_id: int, since_id: int
) -> str:
    """Weibo's real shape: ``count`` at most 20, ``max_id`` (the cursor) and ``since_id``;
    ``next_cursor`` is the next older id, 0 at the end."""
    rows = [
        p for p in state.newest_first("weibo") if (not max_id or p.id <= max_id) and p.id > since_id
    ]
    count = max(1, min(count, WEIBO_PAGE_SIZE))
    page, rest = rows[:count], rows[count:]
    statuses = []
    for p in page:
        status = weibo_status(state, p, base_url)
        del status["url"]  # the client builds the link from the user and the id
        statuses.append(status)
    data = {
        "statuses": statuses,
        "next_cursor": rest[0].id if rest else 0,
        "total_number": len(rows),
    }
    return json.dumps(data, ensure_ascii=False)


RATE_LIMIT_BODY = json.dumps(
    {"error": "User requests out of rate limit!", "error_code": 10023, "request": "/2/timeline"}
)


def broken_rss(state: SiteState, base_url: str) -> bytes:
    """The news feed as a careless CMS serves it: UTF-8 with a few bad bytes (a cut
    multi-byte character in the channel's description and in a category)."""
    body = rss(state, base_url).encode("utf-8")
    body = body.replace(
        "<description>南通民生新闻</description>".encode(),
        "<description>南通民生新闻".encode() + b"\xe6\x96" + b"</description>",
    )
    return body.replace(b"</item>", b"<category>\xff\xfe\xe5</category></item>", 1)


def search_with_redirects(state: SiteState, query: str, page: int, base_url: str) -> str:
    """The search page whose result links go through a redirector (/link?url=...)."""
    page_html = search_page(state, query, page, base_url)

    def wrap(m: re.Match[str]) -> str:
        target = html_unescape(m.group(1))
        return f'<a href="{escape(base_url)}/link?url={quote(target, safe="")}">'

    return re.sub(
        r'<h3 class="t"><a href="([^"]+)">', lambda m: '<h3 class="t">' + wrap(m), page_html
    )
