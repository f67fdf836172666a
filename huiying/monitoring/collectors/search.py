"""Search-engine queries: a URL template filled with each monitoring keyword, its result
list read like a list page (title, abstract, time, link of each result).

The results are items as the engine shows them; their pages live on other sites and are
not fetched (a source reaches only its own site). Keywords are the definition's own plus,
while a 24-hour watch is open, the watch's terms (``extra_search_keywords``).
"""

from __future__ import annotations

import time
from urllib.parse import quote, urljoin

from huiying.monitoring import redirects
from huiying.monitoring.collectors import fieldspec
from huiying.monitoring.collectors.base import CollectorError, Context, Outcome, build_item
from huiying.monitoring.collectors.html import list_entries, parse_page
from huiying.monitoring.fetch import FetchError
from huiying.monitoring.types import RawItem

PLACEHOLDERS = ("{keyword}", "{keywords}")


def extra_search_keywords() -> list[str]:
    """Keywords every search source adds to its own: the terms of the open 24-hour watches.

    The hook the watch feature fills (services_watch.active_watch_keywords); [] when no
    watch is open or that feature is absent.
    """
    try:
        from huiying.monitoring.services_watch import active_watch_keywords
    except ImportError:  # pragma: no cover - the watch feature ships with the app
        return []
    return active_watch_keywords()


def query_url(template: str, keyword: str) -> str:
    encoded = quote(keyword, safe="")
    for placeholder in PLACEHOLDERS:
        template = template.replace(placeholder, encoded)
    return template


def run_keywords(ctx: Context) -> list[str]:
    words: list[str] = []
    for word in ctx.keywords:
        word = " ".join(word.split())
        if word and word not in words:
            words.append(word)
    return words[: int(ctx.config.get("max_keywords", 20))]


MAX_RESOLVED = 100  # redirect links followed per run


class _Resolver:
    """A result's real link: an engine's own redirect (``/link?url=…``) followed to its
    target (redirects.py), so that a hit on a post already collected is recognised as it.
    At most MAX_RESOLVED links a run, spaced like the engine's pages."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.count = 0

    def __call__(self, url: str) -> str:
        client = self.ctx.client
        if not url:
            return url
        embedded = redirects.target_in_query(url)
        if embedded and not client.is_allowed(embedded):
            return embedded  # no request needed
        if not (client.is_allowed(url) and redirects.looks_like_redirect(url)):
            return url
        if self.count >= MAX_RESOLVED:
            return url
        self.count += 1
        if client.policy.delay > 0:
            time.sleep(client.policy.delay)
        return redirects.resolve(url, is_own=client.is_allowed, timeout=client.policy.timeout)


def _search_one(ctx: Context, keyword: str, out: Outcome, resolve: _Resolver) -> list[RawItem]:
    list_config = ctx.config["list"]
    encoding = str(ctx.config.get("encoding") or "")
    url = query_url(ctx.url, keyword)
    items: list[RawItem] = []
    seen: set[str] = set()
    for _page_no in range(int(list_config.get("max_pages", 1))):
        page = ctx.client.get(url)
        out.pages += 1
        out.http_status = page.status
        seen.update({url, page.url})
        root = parse_page(page, encoding, "搜索结果页")
        for entry in list_entries(root, page, list_config):
            values = dict(entry.values)
            values["external_id"] = entry.external_id
            target = resolve(entry.url)
            extra: dict[str, str] = {"search_keyword": keyword}
            if target != entry.url:
                extra["search_link"] = entry.url
            items.append(
                build_item(
                    values,
                    ctx.now,
                    url=target,
                    evidence_body=page.body,
                    evidence_url=page.url,
                    evidence_content_type=page.content_type,
                    extra=extra,
                )
            )
        links = (
            fieldspec.links(root, list_config["next_page"]) if list_config.get("next_page") else []
        )
        if not links:
            break
        url = urljoin(page.url, links[0])
        if url in seen or not ctx.client.is_allowed(url):
            break
    return items


def collect(ctx: Context) -> Outcome:
    out = Outcome()
    keywords = run_keywords(ctx)
    if not keywords:
        out.notes.append("没有监测关键词（config.keywords 为空，且无进行中的专项监测），本次未查询")
        return out
    failures: list[str] = []
    resolve = _Resolver(ctx)
    for keyword in keywords:
        try:
            out.items.extend(_search_one(ctx, keyword, out, resolve))
        except (FetchError, CollectorError) as exc:
            failures.append(f"关键词“{keyword}”：{exc}")
    if failures and len(failures) == len(keywords):
        raise CollectorError("全部关键词查询失败。" + failures[0])
    out.problems.extend(failures)
    return out
