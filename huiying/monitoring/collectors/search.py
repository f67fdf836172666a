"""Search-engine queries: a URL template filled with each monitoring keyword, its result
list read like a list page (title, abstract, time, link of each result).

The results are items as the engine shows them; their pages live on other sites and are
not fetched (a source reaches only its own site). Keywords are the definition's own plus,
while a 24-hour watch is open, the watch's terms (``extra_search_keywords``).
"""

from __future__ import annotations

from urllib.parse import quote, urljoin

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


def _search_one(ctx: Context, keyword: str, out: Outcome) -> list[RawItem]:
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
            items.append(
                build_item(
                    values,
                    ctx.now,
                    url=entry.url,
                    evidence_body=page.body,
                    evidence_url=page.url,
                    evidence_content_type=page.content_type,
                    extra={"search_keyword": keyword},
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
    for keyword in keywords:
        try:
            out.items.extend(_search_one(ctx, keyword, out))
        except (FetchError, CollectorError) as exc:
            failures.append(f"关键词“{keyword}”：{exc}")
    if failures and len(failures) == len(keywords):
        raise CollectorError("全部关键词查询失败。" + failures[0])
    out.problems.extend(failures)
    return out
