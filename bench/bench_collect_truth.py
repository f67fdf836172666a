"""Collection against the demo sites' ground truth: what the collectors keep, and how well.

    .venv/bin/python bench/bench_collect_truth.py [--db sqlite|postgres] [--minutes 4]
        [--per-minute 12] [--interval 10] [--reply-after 90]

Starts the imitation sites (huiying/monitoring/demo_sites: a GBK board whose replies come
30 s to 3 min after a post, passed to a unit first (转办); a Weibo-like cursor timeline with
count=20 and a 403/10023 rate limit every 5th request; an RSS feed; the same feed with a few
bad bytes; search results behind /link?url= redirects; a board list that takes 2 s to answer)
publishing ``--per-minute`` posts a minute, adds sources.yaml and traps.yaml, and runs the
collection loop (the due sources every second, concurrently, as `collect --once` and the
worker do) for ``--minutes``. Then it compares the database with what the sites published:

- recall per kind: posts published at least two polling intervals before the end, stored;
- exact text: stored title and body equal to what was published (whitespace tidied);
- first comments: weibo statuses stored with the comments their status showed, exactly;
- replies within two intervals: replies that appeared at least two intervals before the end,
  stored, first seen (ItemChange) at most two polling intervals after they appeared;
- handling units: posts passed to a unit whose unit is stored as a field of its own;
- false merges: posts grouped under a different post; missed copies: reposts not grouped
  under their original; search hits linked to the stored post they lead to;
- runs by outcome (限流, 可能遗漏, 部分成功) and how long the fast feed waited for its first
  poll behind the slow board.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# The imitation sites are on loopback: let collectors reach them, as a test installation does.
os.environ["HUIYING_SOURCE_ALLOWED_NETWORKS"] = "127.0.0.0/8"
from support import database_url  # noqa: E402

DEMO = ROOT / "huiying" / "monitoring" / "demo_sites"


def tidy(text: str) -> str:
    return " ".join((text or "").split())


def folded(text: str) -> str:
    """For "was it captured" (not "exactly as published"): width and punctuation folded."""
    return tidy(unicodedata.normalize("NFKC", text or ""))


def pct(part: int, whole: int) -> str:
    return f"{part}/{whole} = {100.0 * part / whole:.1f} %" if whole else "0/0 = —"


def main() -> int:  # noqa: C901, PLR0912, PLR0915 - one linear report
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--minutes", type=float, default=4.0)
    parser.add_argument("--per-minute", type=float, default=12.0, help="posts published a minute")
    parser.add_argument("--interval", type=int, default=10, help="polling interval (seconds)")
    parser.add_argument("--reply-after", type=float, default=90.0, help="typical reply delay (s)")
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()

    os.environ["DATABASE_URL"] = database_url(args.db, "huiying_bench_collect")
    import django

    django.setup()
    import logging

    import yaml
    from django.core.management import call_command
    from django.db import connection

    logging.getLogger("huiying").setLevel(logging.ERROR)
    call_command("migrate", interactive=False, verbosity=0)

    from huiying.monitoring.demo_sites import run_demo_sites
    from huiying.monitoring.models import Item, ItemChange, Source, SourceRun
    from huiying.monitoring.services_sources import collect_source, due_sources, source_save

    sites = run_demo_sites(
        interval=60.0 / args.per_minute,
        backlog=12,
        reply_after=dt.timedelta(seconds=args.reply_after),
        slow_seconds=2.0,
        rate_limit_every=5,
    )
    base = sites.base_url
    for name in ("sources.yaml", "traps.yaml"):
        text = (DEMO / name).read_text(encoding="utf-8").replace("{base_url}", base)
        for definition in yaml.safe_load(text)["sources"]:
            definition["interval_seconds"] = args.interval
            definition["watch_interval_seconds"] = args.interval
            source_save(definition)
    sources = {s.code: s for s in Source.objects.all()}
    print(
        f"{connection.vendor}: {len(sources)} sources on {base}, {args.per_minute:g} posts/min, "
        f"interval {args.interval} s, replies {args.reply_after / 2:g}-{args.reply_after * 2:g} s "
        f"after a post, {args.minutes:g} min",
        flush=True,
    )
    started = time.monotonic()
    started_at = dt.datetime.now(dt.UTC)
    end = started + args.minutes * 60
    first_success: dict[str, float] = {}
    # As the worker does: due sources go to a bounded pool as they fall due; a slow one
    # holds only its own thread, never the loop.
    from concurrent.futures import Future, ThreadPoolExecutor

    from django.db import connection as db

    def one(pk: int) -> Any:
        try:
            return collect_source(source_id=pk)
        finally:
            db.close()

    in_flight: dict[int, Future[Any]] = {}
    with ThreadPoolExecutor(max_workers=args.workers) as pool:
        while time.monotonic() < end:
            for pk, future in list(in_flight.items()):
                if future.done():
                    result = future.result()
                    del in_flight[pk]
                    if result.status in ("ok", "not_modified"):
                        first_success.setdefault(result.source_code, time.monotonic() - started)
            for source in due_sources():
                if source.pk not in in_flight:
                    in_flight[source.pk] = pool.submit(one, source.pk)
            time.sleep(0.5)
    db.close()
    finished_at = dt.datetime.now(dt.UTC)
    sites.stop()

    # --- compare with the truth -------------------------------------------------------------
    grace = dt.timedelta(seconds=2 * args.interval)
    published = sites.state.newest_first()
    by_code = {code: s.pk for code, s in sources.items()}

    def stored(code: str, external_id: str) -> Item | None:
        return Item.objects.filter(source_id=by_code[code], external_id=external_id).first()

    kinds: dict[str, tuple[str, Any]] = {
        "board (GBK, 转办, replies later)": (
            "demo-board",
            lambda p: f"{base}/board/thread/{p.id}.html",
        ),
        "weibo (cursor, count=20, 403 限流)": ("demo-weibo", lambda p: str(p.id)),
        "news (RSS)": ("demo-news", lambda p: f"news-{p.id}"),
        "news (UTF-8 with bad bytes)": ("demo-news-broken", lambda p: f"news-{p.id}"),
    }
    channel_of = {
        "demo-board": "board",
        "demo-weibo": "weibo",
        "demo-news": "news",
        "demo-news-broken": "news",
    }
    item_post: dict[int, Any] = {}
    print("\nrecall and exact text per kind (posts published >= 2 intervals before the end)")
    total_found = total_expected = total_exact = 0
    for label, (code, key) in kinds.items():
        expected = [
            p
            for p in published
            if p.post.channel == channel_of[code]
            and p.published_at.astimezone(dt.UTC) <= finished_at - grace
        ]
        if code == "demo-news":
            expected = expected[:30]  # the feed shows its 30 newest; older ones left it
        if code == "demo-news-broken":
            expected = expected[:30]
        found = exact = same_folded = 0
        misses: list[str] = []
        for p in expected:
            item = stored(code, key(p))
            if item is None:
                misses.append(str(p.id))
                continue
            found += 1
            item_post[item.pk] = p
            want_text = (
                p.post.text if channel_of[code] != "weibo" else p.post.text.replace("\n", " ")
            )
            same_title = channel_of[code] == "weibo" or tidy(item.title) == tidy(p.post.title)
            if same_title and tidy(item.text) == tidy(want_text):
                exact += 1
            folded_title = channel_of[code] == "weibo" or folded(item.title) == folded(p.post.title)
            if folded_title and folded(item.text) == folded(want_text):
                same_folded += 1
        total_found += found
        total_expected += len(expected)
        total_exact += exact
        print(
            f"  {label:<36} recall {pct(found, len(expected)):<18} exact text {pct(exact, found)}"
            f" (equal after NFKC folding: {pct(same_folded, found)})"
            + (f"  missing: {', '.join(misses[:8])}" if misses else "")
        )
    print(
        f"  {'all':<36} recall {pct(total_found, total_expected):<18} exact text {pct(total_exact, total_found)}"
    )

    # First comments: the weibo posts found above, with the comments their status showed.
    print("\nfirst comments (weibo statuses stored above)")
    with_comments = as_shown = complete = 0
    weibo_found = [(pk, p) for pk, p in item_post.items() if p.post.channel == "weibo"]
    for pk, p in weibo_found:
        kept = Item.objects.get(pk=pk).responses
        shown = [tidy(c) for c in sites.state.comments(p)]  # what the timeline shows now
        with_comments += bool(kept)
        as_shown += bool(kept) and [tidy(c) for c in kept] == shown[: len(kept)]
        complete += [tidy(c) for c in kept] == shown
    print(f"  stored with their first comments     {pct(with_comments, len(weibo_found))}")
    print(f"  comments exactly as shown, in order  {pct(as_shown, with_comments)}")
    print(
        f"  all comments shown at the end stored {pct(complete, len(weibo_found))}"
        " (a status is read again only while the timeline walk reaches it)"
    )

    # Replies: those that appeared >= 2 intervals before the end.
    print("\nreplies followed to the end")
    due_replies = [
        p
        for p in published
        if p.post.channel == "board"
        and p.post.reply
        and sites.state.reply_due(p).astimezone(dt.UTC) <= finished_at - grace
        and sites.state.reply_due(p).astimezone(dt.UTC) >= started_at
    ]
    in_time = stored_at_all = units = passed = 0
    late: list[str] = []
    for p in due_replies:
        item = stored("demo-board", f"{base}/board/thread/{p.id}.html")
        if item is None or folded(item.board_reply) != folded(p.post.reply):
            late.append(f"{p.id}(none)")
            continue
        stored_at_all += 1
        first = (
            ItemChange.objects.filter(item=item, field="board_reply").order_by("seen_at").first()
        )
        appeared = sites.state.reply_due(p)
        if first is not None and first.seen_at <= appeared + grace:
            in_time += 1
        else:
            seen = first.seen_at if first else None
            late.append(
                f"{p.id}(+{(seen - appeared).total_seconds():.0f}s)" if seen else f"{p.id}(?)"
            )
        fields = (item.extra or {}).get("fields") or {}
        passed += 1
        units += bool(fields.get("handling_unit")) and bool(fields.get("reply_unit"))
    print(f"  replies stored                       {pct(stored_at_all, len(due_replies))}")
    print(
        f"  replies stored within 2 intervals    {pct(in_time, len(due_replies))}"
        + (f"  late: {', '.join(late[:8])}" if late else "")
    )
    print(f"  handling and reply units as fields   {pct(units, passed)}")
    answered_shown_pending = Item.objects.filter(
        source_id=by_code["demo-board"], board_status__in=["办理中", "已受理"]
    ).count()
    print(
        f"  board posts still shown 办理中/已受理  {answered_shown_pending} (some are not answered yet)"
    )

    # Grouping: false merges and missed copies, over every stored item with a known post.
    print("\nde-duplication")
    posts_by_key = {p.post.key: p for p in published}
    for code in ("demo-board", "demo-weibo", "demo-news", "demo-news-broken"):
        for item in Item.objects.filter(source_id=by_code[code]):
            match = next(
                (q for q in published if kinds_key(code, q, base) == item.external_id), None
            )
            if match is not None:
                item_post[item.pk] = match
    false_merges: list[str] = []
    for item in Item.objects.filter(pk__in=list(item_post), duplicate_of__isnull=False):
        mine = item_post[item.pk]
        theirs = item_post.get(item.duplicate_of_id or 0)
        if theirs is None:
            continue
        related = (
            mine.id == theirs.id
            or mine.post.repost_of == theirs.post.key
            or theirs.post.repost_of == mine.post.key
            or (mine.post.repost_of and mine.post.repost_of == theirs.post.repost_of)
            or tidy(mine.post.text) == tidy(theirs.post.text)
        )
        if not related:
            false_merges.append(f"{mine.id}->{theirs.id}")
    copies = missed = 0
    missed_keys: list[str] = []
    post_items: dict[int, list[int]] = {}
    for pk, p in item_post.items():
        post_items.setdefault(p.id, []).append(pk)
    originals = {
        pk: Item.objects.filter(pk=pk).values_list("duplicate_of_id", flat=True).first()
        for pk in item_post
    }
    for p in published:
        if not p.post.repost_of or p.post.repost_of not in posts_by_key:
            continue
        origin = posts_by_key[p.post.repost_of]
        mine_items, origin_items = post_items.get(p.id, []), post_items.get(origin.id, [])
        if not mine_items or not origin_items:
            continue
        copies += 1
        groups = {originals[pk] or pk for pk in mine_items}
        if not groups & ({originals[pk] or pk for pk in origin_items} | set(origin_items)):
            missed += 1
            missed_keys.append(f"{p.post.key} (copy of {p.post.repost_of})")
    print(
        f"  false merges                         {len(false_merges)}"
        + (f"  ({', '.join(false_merges[:8])})" if false_merges else "")
    )
    print(
        f"  missed copies                        {missed} of {copies} reposts whose original was stored"
    )
    for key in missed_keys:
        print(f"    missed: {key}")
    hits = Item.objects.filter(source_id=by_code["demo-search-redirect"])
    linked = sum(1 for h in hits if h.duplicate_of_id is not None)
    resolved = sum(1 for h in hits if "/link?" not in h.url)
    print(
        f"  redirect search hits linked to posts {pct(linked, hits.count())} (links resolved: {resolved})"
    )

    print("\nruns by outcome")
    counts = Counter(
        (code, outcome or ("ok" if ok else "failed"))
        for code, outcome, ok in SourceRun.objects.values_list("source__code", "outcome", "ok")
    )
    for code in sorted(by_code):
        row = ", ".join(f"{o} {n}" for (c, o), n in sorted(counts.items()) if c == code)
        print(f"  {code:<22} {row}")
    waited = SourceRun.objects.filter(error__contains="站点限流").count()
    print(f"  rate limits waited out within a run: {waited} runs")
    first_feed = (
        SourceRun.objects.filter(source_id=by_code["demo-news"], ok=True)
        .order_by("started_at")
        .first()
    )
    if first_feed is not None and first_feed.finished_at is not None:
        wait = (first_feed.finished_at - started_at).total_seconds()
        print(
            f"\nfirst poll of the feed done {wait:.1f} s after start (the board takes 2 s a list page)"
        )
    print(f"first results of every source within {max(first_success.values(), default=0):.1f} s")
    return 0


def kinds_key(code: str, p: Any, base: str) -> str:
    channel = {"demo-board": "board", "demo-weibo": "weibo"}.get(code, "news")
    if p.post.channel != channel:
        return "\0"
    if code == "demo-board":
        return f"{base}/board/thread/{p.id}.html"
    if code == "demo-weibo":
        return str(p.id)
    return f"news-{p.id}"


if __name__ == "__main__":
    sys.exit(main())
