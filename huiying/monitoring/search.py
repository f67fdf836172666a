"""Full-text search over items (R2.1 "what is kept"), newest first, with filters.

Each item's rjieba words in search mode, space-separated, are its ``ItemSearch.tokens`` (a
table of their own, see the model). A query is segmented the same way (precise mode) and its
words are AND-ed:

* PostgreSQL: ``vector @@ plainto_tsquery('simple', words)`` on ``monitoring_itemsearch``,
  a stored generated stripped tsvector with a GIN index (migration 0010);
* SQLite: ``item_fts MATCH '"w1" "w2"'`` on the FTS5 table kept in sync by triggers on
  ``monitoring_itemsearch``.

An item stored in a large batch is searchable once the outbox consumer has indexed it
(``index_items``), normally within a second or two; filters without words find it at once.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import BooleanField, QuerySet
from django.db.models.expressions import RawSQL
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from huiying.monitoring import segment
from huiying.monitoring.keywords import fold
from huiying.monitoring.models import Item, ItemSearch
from huiying.monitoring.normalize import to_simplified

SQLITE_FTS_SQL = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS item_fts USING fts5(item_id UNINDEXED, tokens)",
    "CREATE TRIGGER IF NOT EXISTS item_fts_ai AFTER INSERT ON monitoring_itemsearch BEGIN "
    "INSERT INTO item_fts(rowid, item_id, tokens) VALUES (new.item_id, new.item_id, new.tokens); "
    "END",
    "CREATE TRIGGER IF NOT EXISTS item_fts_au AFTER UPDATE OF tokens ON monitoring_itemsearch "
    "BEGIN DELETE FROM item_fts WHERE rowid = old.item_id; "
    "INSERT INTO item_fts(rowid, item_id, tokens) VALUES (new.item_id, new.item_id, new.tokens); "
    "END",
    "CREATE TRIGGER IF NOT EXISTS item_fts_ad AFTER DELETE ON monitoring_itemsearch BEGIN "
    "DELETE FROM item_fts WHERE rowid = old.item_id; END",
)
_checked_aliases: set[tuple[str, int]] = set()
# SQLite: from this many matches on, newest-first is cheaper by walking posted_at.
SQLITE_DENSE_MATCHES = 2000
SQLITE_ANALYZE_FROM = 1000  # below this, any plan is fast


def ensure_sqlite_fts() -> None:
    """Re-create the FTS5 triggers if missing (once per connection).

    Django rebuilds a SQLite table for many schema changes, which drops its triggers; the
    FTS rows themselves survive (item ids are kept), so re-creating the triggers suffices.
    """
    if connection.vendor != "sqlite":
        return
    connection.ensure_connection()
    key = (connection.alias, id(connection.connection))
    if key in _checked_aliases:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM sqlite_master WHERE type='trigger' AND name LIKE 'item_fts_a_'"
        )
        row = cursor.fetchone()
        if not row or row[0] < 3:
            for sql in SQLITE_FTS_SQL:
                cursor.execute(sql)
    _checked_aliases.add(key)


def refresh_statistics() -> bool:
    """SQLite: ANALYZE the items table when it has doubled since last time (True if it ran).

    Without statistics SQLite takes any indexed equality (platform, "originals only") as
    selective and sorts all its rows instead of walking posted_at: 1-6 s instead of 20 ms
    on 100,000 items (bench/bench_search.py --db sqlite). A full ANALYZE (sampling gives
    estimates too coarse to help) takes ~0.6 s per 100,000 items, so ingestion runs it
    after its transaction, at 1,000, 2,000, 4,000 … items. PostgreSQL's autovacuum
    analyses on its own.
    """
    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT max(id) FROM monitoring_item")
        row = cursor.fetchone()
        rows = int(row[0] or 0) if row else 0
        if rows < SQLITE_ANALYZE_FROM:
            return False
        cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
        known = 0
        if (cursor.fetchone() or [0])[0]:
            cursor.execute("SELECT stat FROM sqlite_stat1 WHERE tbl = 'monitoring_item'")
            known = max((int(str(stat).split()[0]) for (stat,) in cursor.fetchall()), default=0)
        if rows <= 2 * known:
            return False
        cursor.execute("PRAGMA analysis_limit = 0")
        cursor.execute("ANALYZE monitoring_item")
    return True


INDEX_CHUNK = 2000  # items read and indexed per query


def index_items(item_ids: list[int]) -> int:
    """Index the items among ``item_ids`` that have no search words yet (idempotent: an item
    indexed already, or deleted meanwhile, is skipped). Returns how many were indexed."""
    done = 0
    for start in range(0, len(item_ids), INDEX_CHUNK):
        chunk = item_ids[start : start + INDEX_CHUNK]
        rows = (
            Item.objects.filter(pk__in=chunk, search__isnull=True)
            .order_by()
            .values_list("pk", "title_folded", "text_simplified")
        )
        fresh = [
            ItemSearch(item_id=pk, tokens=segment.index_tokens(f"{title}\n{text}"))
            for pk, title, text in rows
        ]
        ensure_sqlite_fts()
        # A concurrent consumer run may index the same items: the first one wins, the same words.
        ItemSearch.objects.bulk_create(fresh, batch_size=500, ignore_conflicts=True)
        done += len(fresh)
    return done


def rebuild_index() -> int:
    """Re-fill the SQLite FTS table from ``ItemSearch`` (PostgreSQL needs nothing)."""
    if connection.vendor != "sqlite":
        return 0
    ensure_sqlite_fts()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM item_fts")
        cursor.execute(
            "INSERT INTO item_fts(rowid, item_id, tokens) "
            "SELECT item_id, item_id, tokens FROM monitoring_itemsearch"
        )
        return int(cursor.rowcount or 0)


@dataclass
class SearchFilters:
    query: str = ""
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    source_ids: list[int] = field(default_factory=list)
    platforms: list[str] = field(default_factory=list)
    rule_id: int | None = None
    originals_only: bool = False  # hide reposts/copies (they stay reachable from the original)


@dataclass
class SearchPage:
    items: list[Item]
    words: list[str]
    page: int
    per_page: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.page > 1


def _fts5_match(words: list[str]) -> str:
    return " ".join('"' + w.replace('"', '""') + '"' for w in words)


def text_filter(qs: QuerySet[Item], words: list[str]) -> QuerySet[Item]:
    if not words:
        return qs
    if connection.vendor == "postgresql":
        return qs.filter(
            RawSQL(
                'EXISTS (SELECT 1 FROM "monitoring_itemsearch" s WHERE s."item_id" = '
                '"monitoring_item"."id" AND s."vector" @@ plainto_tsquery(\'simple\', %s))',
                (" ".join(words),),
                output_field=BooleanField(),
            )
        )
    ensure_sqlite_fts()
    match = _fts5_match(words)
    if _sqlite_matches_at_least(match, SQLITE_DENSE_MATCHES):
        # A common word: walk items newest first and test each against the index (a rowid
        # seek), so the first page costs a few dozen look-ups, not a sort of every match.
        return qs.filter(
            RawSQL(
                "EXISTS (SELECT 1 FROM item_fts WHERE item_fts MATCH %s"
                " AND item_fts.rowid = monitoring_item.id)",
                (match,),
                output_field=BooleanField(),
            )
        )
    # A rare word: take its few matches from the index, then sort them.
    return qs.filter(
        pk__in=RawSQL("SELECT item_id FROM item_fts WHERE item_fts MATCH %s", (match,))
    )


def _sqlite_matches_at_least(match: str, n: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM (SELECT 1 FROM item_fts WHERE item_fts MATCH %s LIMIT %s)",
            (match, n),
        )
        row = cursor.fetchone()
    return bool(row and row[0] >= n)


def search_items(filters: SearchFilters) -> tuple[QuerySet[Item], list[str]]:
    """The matching items, newest first, and the query words (for highlighting)."""
    # Queries fold like posts do: a traditional query finds simplified text and vice versa.
    words = segment.query_tokens(to_simplified(unicodedata.normalize("NFKC", filters.query)))
    qs = Item.objects.select_related("source")
    if filters.query.strip() and not words:
        # Only stopwords or punctuation: nothing to look for.
        return qs.none(), []
    qs = text_filter(qs, words)
    if filters.since is not None:
        qs = qs.filter(posted_at__gte=filters.since)
    if filters.until is not None:
        qs = qs.filter(posted_at__lt=filters.until)
    if filters.source_ids:
        qs = qs.filter(source_id__in=filters.source_ids)
    if filters.platforms:
        qs = qs.filter(platform__in=filters.platforms)
    if filters.rule_id is not None:
        qs = qs.filter(rule_matches__rule_id=filters.rule_id)
    if filters.originals_only:
        qs = qs.filter(duplicate_of__isnull=True)
    return qs.order_by("-posted_at", "-pk"), words


def search_page(filters: SearchFilters, page: int = 1, per_page: int = 20) -> SearchPage:
    """One page of results; no total count (counting a million matches costs more than the page)."""
    page = max(1, page)
    qs, words = search_items(filters)
    start = (page - 1) * per_page
    rows = list(qs[start : start + per_page + 1])
    return SearchPage(
        items=rows[:per_page],
        words=words,
        page=page,
        per_page=per_page,
        has_next=len(rows) > per_page,
    )


def highlight(text: str, words: list[str], width: int = 160) -> SafeString:
    """An escaped snippet of ``text`` around the first hit, hits wrapped in <mark>.

    Posts are untrusted: every piece of text is escaped, only our own <mark> is markup.
    """
    if not text:
        return mark_safe("")  # noqa: S308 - empty
    folded = fold(text)
    # Matching needs positions in ``text`` itself; NFKC/t2s folding can change lengths,
    # in which case the folded text is shown instead.
    shown = text if len(folded) == len(text) else folded
    needles = sorted({fold(w) for w in words if w}, key=len, reverse=True)
    pattern = re.compile("|".join(re.escape(n) for n in needles)) if needles else None
    first = pattern.search(folded) if pattern else None
    start = max(0, first.start() - width // 3) if first else 0
    end = min(len(shown), start + width)
    parts: list[str] = ["…" if start > 0 else ""]
    pos = start
    if pattern:
        for m in pattern.finditer(folded, start, end):
            parts.append(escape(shown[pos : m.start()]))
            parts.append("<mark>" + escape(shown[m.start() : m.end()]) + "</mark>")
            pos = m.end()
    parts.append(escape(shown[pos:end]))
    if end < len(shown):
        parts.append("…")
    return mark_safe("".join(parts))  # noqa: S308 - every piece above is escaped
