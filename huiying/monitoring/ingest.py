"""Ingestion: normalise, de-duplicate and store what collectors hand over.

``ingest_items`` is the one entry point for every source kind (polled, pushed, imported,
manual). For each ``RawItem``:

1. Prepare (outside the transaction, it is CPU only): the text kept as published (only
   whitespace tidied: collectors removed the page's markup when they parsed it), its folded
   form for matching and search (NFKC, simplified, lower case), canonical URL, the
   de-duplication features (dedup.py: match key and its hash, MinHash bands, the numbers,
   places and units it names), and for a small batch the rjieba search words. A large batch
   is prepared in a pool of processes (``ingest_prepare``), and ``ingest_batches`` prepares
   the next batch while storing this one.
2. Same source + external id as a stored item: the same post seen again. Engagement and
   the board's reply are updated, an EngagementSample is added when counts changed, and
   it counts as ``updated`` (or ``unchanged``).
3. Otherwise it is stored. If an earlier item has the same canonical URL, or is a
   candidate (same match key or a MinHash band in common) that verification confirms (similar
   text naming the same numbers, places and units; see dedup.py), it is stored as a
   duplicate of that item's original (``duplicate_of``; chains never form): evidence is
   kept, the copy is grouped under the original.
4. New items are matched against active keyword rules and watches (alerts at once).
5. A small batch's search words are stored with it; a large batch's are written just after by
   the outbox consumer ``monitoring.search_index`` (``ItemSearch``: searchable within seconds,
   while the batch itself is stored at twice the speed).

Everything after normalisation runs in one transaction; a conflicting concurrent insert of
the same external id makes the batch run again once, now seeing the stored row.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any, Literal

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection, models, transaction
from django.db.models import BooleanField, Max, Q
from django.db.models.expressions import RawSQL
from django.utils import timezone

from huiying.common import outbox
from huiying.common.bulk import insert_rows
from huiying.common.validators import has_http_scheme, without_nul
from huiying.monitoring import dedup, ingest_prepare, keywords, normalize, search
from huiying.monitoring.collectors.base import MAX_RESPONSE_CHARS, MAX_RESPONSES
from huiying.monitoring.models import (
    EngagementSample,
    Evidence,
    Item,
    ItemRuleMatch,
    ItemSearch,
    KeywordRule,
    Source,
)
from huiying.monitoring.services_watch import match_watches
from huiying.monitoring.types import RawItem

log = logging.getLogger("huiying.monitoring.ingest")

FUTURE_SLACK = dt.timedelta(hours=1)  # a post dated later than this is dated when captured
ENGAGEMENT = ("likes", "reposts", "comments", "replies")


@dataclass
class IngestResult:
    new: int = 0  # stored originals
    duplicates: int = 0  # stored, grouped under an earlier original
    updated: int = 0  # seen before (same source + external id), something changed
    unchanged: int = 0  # seen before, nothing changed
    skipped: int = 0  # no title, text or link: nothing to keep
    # Distinct ids of the items this batch stored or touched, in input order (skipped left out).
    item_ids: list[int] = field(default_factory=list)


@dataclass(slots=True)
class _Prepared(ingest_prepare.Texts):
    """The texts as prepared (in a worker process or here) and what the raw item adds."""

    raw: RawItem
    external_id: str
    platform: str
    published_at: dt.datetime | None
    posted_at: dt.datetime


_RAW_FIELDS = fields(RawItem)
_TEXT_FIELDS = [f.name for f in _RAW_FIELDS if f.type in ("str", str)]


def _without_nul(raw: RawItem) -> RawItem:
    clean = {
        name: value.replace("\x00", "")
        for name in _TEXT_FIELDS
        if "\x00" in (value := getattr(raw, name))
    }
    if raw.extra:
        clean["extra"] = without_nul(raw.extra)
    return replace(raw, **clean) if clean else raw


def _responses(raw: RawItem) -> list[str]:
    """The first comments as published: strings only, NUL and control characters dropped,
    whitespace tidied, empty ones left out, at most MAX_RESPONSES of MAX_RESPONSE_CHARS."""
    if not raw.responses:
        return []
    out: list[str] = []
    for value in raw.responses:
        if not isinstance(value, str):
            continue
        text = normalize.tidy_text(value.replace("\x00", ""))
        if text:
            out.append(_cut(text, MAX_RESPONSE_CHARS))
            if len(out) == MAX_RESPONSES:
                break
    return out


def _cut(value: str, length: int) -> str:
    return value[:length] if len(value) > length else value


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is not None and timezone.is_naive(value):
        return timezone.make_aware(value)
    return value


def _prepared(
    source: Source, raw: RawItem, texts: ingest_prepare.Texts | None, now: dt.datetime
) -> _Prepared | None:
    if texts is None:
        return None
    published_at = _aware(raw.published_at)
    posted_at = (
        published_at if published_at is not None and published_at <= now + FUTURE_SLACK else now
    )
    return _Prepared(
        **{f.name: getattr(texts, f.name) for f in fields(ingest_prepare.Texts)},
        raw=raw,
        external_id=_cut(raw.external_id.strip(), 200),
        platform=_cut(raw.platform.strip() or source.platform, 50),
        published_at=published_at,
        posted_at=posted_at,
    )


EVIDENCE_COLUMNS = ("item_id", "fetched_at", "url", "content_type", "body", "sha256")
SAMPLE_COLUMNS = ("item_id", "sampled_at", *ENGAGEMENT)


def _evidence(item: Item, raw: RawItem, now: dt.datetime) -> Evidence:
    return Evidence(**dict(zip(EVIDENCE_COLUMNS, _evidence_row(item.pk, raw, now), strict=True)))


def _evidence_row(item_id: int, raw: RawItem, now: dt.datetime) -> tuple[Any, ...]:
    """An Evidence row in ``EVIDENCE_COLUMNS`` order (rows, not model objects: a large batch
    builds thousands)."""
    body = raw.evidence_body
    content_type = raw.evidence_content_type
    if not body:
        # A pushed or imported item has no fetched document: keep what was handed over.
        # The fields as they are (asdict would deep-copy each item first: the same JSON, slower).
        handed = {f.name: getattr(raw, f.name) for f in _RAW_FIELDS}
        body = json.dumps(handed, ensure_ascii=False, default=str, sort_keys=True).encode("utf-8")
        content_type = "application/json; charset=utf-8"
    return (
        item_id,
        now,
        _cut(raw.evidence_url or raw.url, 1000),
        _cut(content_type, 100),
        body,
        hashlib.sha256(body).hexdigest(),
    )


def _sample_row(item: Item, now: dt.datetime) -> tuple[Any, ...]:
    """An EngagementSample row in ``SAMPLE_COLUMNS`` order."""
    return (item.pk, now, item.likes, item.reposts, item.comments, item.replies)


def _jsonable(extra: dict[str, Any] | None) -> dict[str, Any]:
    """Collector extras as plain JSON (dates, decimals and anything odd become strings)."""
    if not extra:
        return {}
    return json.loads(json.dumps(extra, cls=_Encoder, ensure_ascii=False))


class _Encoder(DjangoJSONEncoder):
    def default(self, o: Any) -> Any:
        try:
            return super().default(o)
        except TypeError:
            return str(o)


def _counts(raw: RawItem) -> dict[str, int]:
    return {k: max(0, int(getattr(raw, k) or 0)) for k in ENGAGEMENT}


def ingest_items(
    *, source: Source, items: list[RawItem], now: dt.datetime | None = None
) -> IngestResult:
    """Normalise, de-duplicate and store ``items`` collected from ``source``."""
    now = now or timezone.now()
    batch = _clean_batch(items)
    return _finish(source, batch, _pending(batch), now)


def ingest_batches(
    *, source: Source, batches: Iterable[list[RawItem]], now: dt.datetime | None = None
) -> Iterator[IngestResult]:
    """Store ``batches`` one after another (one result each, in order) while the next batch is
    being prepared in the preparation pool: the way to ingest a large stream (an import, a
    vendor's backlog) on every core. Each batch is its own transaction, as with
    ``ingest_items``; stopping the iteration early stores nothing more."""
    waiting: tuple[list[RawItem], ingest_prepare.Pending] | None = None
    for items in batches:
        batch = _clean_batch(items)
        following = (batch, _pending(batch))
        if waiting is not None:
            yield _finish(source, *waiting, now or timezone.now())
        waiting = following
    if waiting is not None:
        yield _finish(source, *waiting, now or timezone.now())


def _clean_batch(items: list[RawItem]) -> list[RawItem]:
    # Posts are other people's text: a NUL in it made PostgreSQL refuse the whole batch.
    return [_without_nul(raw) for raw in items]


# A batch smaller than this gets its search words in its own transaction (searchable at once);
# a larger one is stored without them and indexed by the outbox consumer
# ``monitoring.search_index`` right after: the words and their index cost as much as the rest.
INDEX_INLINE_BELOW = 200


def _pending(items: list[RawItem]) -> ingest_prepare.Pending:
    return ingest_prepare.Pending(
        [(raw.title, raw.text, raw.url) for raw in items],
        words=len(items) < INDEX_INLINE_BELOW,
    )


def _finish(
    source: Source, items: list[RawItem], pending: ingest_prepare.Pending, now: dt.datetime
) -> IngestResult:
    texts = pending.result()
    prepared = [_prepared(source, raw, t, now) for raw, t in zip(items, texts, strict=True)]
    search.ensure_sqlite_fts()
    for attempt in range(2):
        try:
            with transaction.atomic():
                result = _store(source, prepared, now, index_now=pending.words)
            break
        except IntegrityError:
            # Another worker stored the same external id meanwhile; the retry sees it.
            if attempt:
                raise
            log.info("ingest %s: concurrent insert, retrying the batch", source.code)
    if result.new or result.duplicates:
        search.refresh_statistics()
    # The collector logs one line per run at INFO; this detail is for debugging a source.
    log.debug(
        "ingest %s: %d new, %d duplicates, %d updated, %d unchanged, %d skipped",
        source.code,
        result.new,
        result.duplicates,
        result.updated,
        result.unchanged,
        result.skipped,
    )
    return result


def _store(
    source: Source, prepared: list[_Prepared | None], now: dt.datetime, *, index_now: bool
) -> IngestResult:
    result = IngestResult()
    ids: list[int | Item | None] = []  # per input: a stored id, a pending Item, or None

    # 2. Seen before: same source and external id (also repeated within the batch).
    ext_ids = {p.external_id for p in prepared if p is not None and p.external_id}
    known: dict[str, Item] = {}
    if ext_ids:
        known = {
            i.external_id: i
            for i in Item.objects.filter(_any_of([("external_id", ext_ids)]), source=source)
        }
    batch_ext: dict[str, int] = {}  # external id -> position in ``fresh``
    repeats: list[tuple[int, int, RawItem]] = []  # (input index, position in fresh, raw)
    changed: dict[int, Item] = {}
    samples: list[Item] = []  # re-seen items whose engagement changed
    evidence_new: list[tuple[Item, RawItem]] = []
    fresh: list[tuple[int, _Prepared]] = []
    for index, p in enumerate(prepared):
        if p is None:
            result.skipped += 1
            ids.append(None)
            continue
        if p.external_id and p.external_id in known:
            item = known[p.external_id]
            if _refresh(item, p.raw):
                changed[item.pk] = item
                samples.append(item)
                evidence_new.append((item, p.raw))
                result.updated += 1
            else:
                result.unchanged += 1
            ids.append(item.pk)
            continue
        if p.external_id and p.external_id in batch_ext:
            # The same post twice in one batch (a page shifted while paging): one row.
            repeats.append((index, batch_ext[p.external_id], p.raw))
            ids.append(None)
            continue
        if p.external_id:
            batch_ext[p.external_id] = len(fresh)
        fresh.append((index, p))
        ids.append(None)  # filled once stored
    if changed:
        Item.objects.bulk_update(
            list(changed.values()),
            [*ENGAGEMENT, "board_reply", "board_status", "board_replied_at", "responses"],
        )
        _add_changed_evidence(evidence_new, now)
    # 3. New rows, grouped under their originals.
    originals = _find_originals([p for _, p in fresh])
    first_pass: list[Item] = []
    second_pass: list[tuple[Item, Item]] = []  # (copy, its in-batch original)
    created: list[tuple[Item, _Prepared]] = []
    for (index, p), original in zip(fresh, originals, strict=True):
        item = Item(
            source=source,
            platform=p.platform,
            external_id=p.external_id,
            # Only http(s) links are stored: a javascript: link from a page is not a link.
            url=_cut(p.raw.url.strip(), 1000) if has_http_scheme(p.raw.url) else "",
            canonical_url=p.canonical,
            title=p.title,
            title_folded=p.title_folded,
            text=p.text,
            text_simplified=p.simplified,
            author=_cut(normalize.tidy_line(p.raw.author), 200),
            published_at=p.published_at,
            captured_at=now,
            posted_at=p.posted_at,
            content_hash=p.feats.key_hash,
            simhash_b0=bands[0] if (bands := p.feats.bands) else None,
            simhash_b1=bands[1] if bands else None,
            simhash_b2=bands[2] if bands else None,
            simhash_b3=bands[3] if bands else None,
            board_reply=normalize.tidy_text(p.raw.board_reply),
            board_status=_cut(normalize.tidy_line(p.raw.board_status), 50),
            board_replied_at=_aware(p.raw.board_replied_at),
            responses=_responses(p.raw),
            extra=_jsonable(p.raw.extra),
            **_counts(p.raw),
        )
        if original is None:
            first_pass.append(item)
        elif original[0] == "stored":
            item.duplicate_of_id = original[1]
            first_pass.append(item)
        else:
            second_pass.append((item, created[original[1]][0]))
        created.append((item, p))
        ids[index] = item
    for index, position, raw in repeats:
        item = created[position][0]
        if _refresh(item, raw):
            result.updated += 1
        else:
            result.unchanged += 1
        ids[index] = item
    if _copy_ok(len(created)):
        # Ids first (one query), so in-batch copies point at their originals and every new
        # row goes in with one COPY (PostgreSQL) or one executemany (SQLite).
        _allocate_ids(Item, first_pass + [copy for copy, _ in second_pass])
        for copy, original_item in second_pass:
            copy.duplicate_of_id = original_item.pk
        _copy_rows(Item, first_pass + [copy for copy, _ in second_pass])
    else:
        Item.objects.bulk_create(first_pass)
        for copy, original_item in second_pass:
            copy.duplicate_of_id = original_item.pk
        Item.objects.bulk_create([copy for copy, _ in second_pass])
    for item, _p in created:
        if item.duplicate_of_id is None:
            result.new += 1
        else:
            result.duplicates += 1
    if index_now and created:
        search.ensure_sqlite_fts()
        ItemSearch.objects.bulk_create(
            [ItemSearch(item_id=item.pk, tokens=p.tokens) for item, p in created]
        )
    insert_rows(
        Evidence, EVIDENCE_COLUMNS, [_evidence_row(item.pk, p.raw, now) for item, p in created]
    )
    insert_rows(
        EngagementSample,
        SAMPLE_COLUMNS,
        [_sample_row(item, now) for item in [*samples, *(item for item, _ in created)]],
    )
    # 4. Rules and watches, for the new rows only: a re-seen post was matched when first stored.
    new_items = [item for item, _ in created]
    _match_rules(new_items, now)
    match_watches(new_items, now)
    if new_items:
        # Analysis (and anyone else) hears of the batch once, with the ids it may load.
        outbox.emit(
            "item.collected",
            aggregate_type="source",
            aggregate_id=source.pk,
            payload={
                "source": source.pk,
                "items": [i.pk for i in new_items if i.duplicate_of_id is None],
                "duplicates": [i.pk for i in new_items if i.duplicate_of_id is not None],
            },
        )
    result.item_ids = list(
        dict.fromkeys(x.pk if isinstance(x, Item) else x for x in ids if x is not None)
    )
    return result


COPY_FROM = 50  # rows: from this many on, the rows skip the ORM's per-row SQL building


def _copy_ok(rows: int) -> bool:
    return connection.vendor in ("postgresql", "sqlite") and rows >= COPY_FROM


def _allocate_ids(model: type[models.Model], objs: list[Any]) -> None:
    """Take ids for ``objs`` in one query: from the identity sequence on PostgreSQL; on
    SQLite (one writer at a time, inside this transaction) after the highest id ever used."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, len(objs)],
            )
            ids = [pk for (pk,) in cursor.fetchall()]
        else:
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            used = cursor.fetchone()
            highest = model._default_manager.aggregate(top=Max("pk"))["top"]
            start = max(int(used[0]) if used else 0, highest or 0)
            ids = list(range(start + 1, start + 1 + len(objs)))
    for obj, pk in zip(objs, ids, strict=True):
        obj.pk = pk


# Field types whose Python values the driver takes as they are: for these the per-value
# get_db_prep_save round (a dozen method calls per value, a third of the time of storing a
# batch) returns the value unchanged, so it is skipped. Anything else (JSON, dates on SQLite)
# still goes through it.
_AS_IS = frozenset(
    {
        "CharField",
        "TextField",
        "URLField",
        "IntegerField",
        "BigIntegerField",
        "SmallIntegerField",
        "PositiveIntegerField",
        "PositiveSmallIntegerField",
        "PositiveBigIntegerField",
        "BooleanField",
        "ForeignKey",
    }
)
_AS_IS_POSTGRES = _AS_IS | {"DateTimeField", "BinaryField"}


def _row_values(model: type[models.Model]) -> tuple[list[str], Any]:
    """The columns after ``id`` and a function giving one object's row for them."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    as_is = _AS_IS_POSTGRES if connection.vendor == "postgresql" else _AS_IS
    getters: list[tuple[str, Any]] = [
        (f.attname, None if f.get_internal_type() in as_is else f) for f in fields
    ]

    def row(obj: Any) -> list[Any]:
        values = [obj.pk]
        for attname, prep in getters:
            value = getattr(obj, attname)
            values.append(value if prep is None else prep.get_db_prep_save(value, connection))
        return values

    return [f.column for f in fields], row


def _copy_rows(model: type[models.Model], objs: list[Any]) -> None:
    """Insert rows whose ids are set: COPY on PostgreSQL, one executemany on SQLite (no
    per-row SQL to build or parse; the same constraints apply)."""
    qn = connection.ops.quote_name
    names, row = _row_values(model)
    columns = ", ".join(qn(c) for c in ["id", *names])
    if connection.vendor == "postgresql":
        sql = f"COPY {qn(model._meta.db_table)} ({columns}) FROM STDIN"
        with (
            connection.cursor() as cursor,
            connection.wrap_database_errors,
            cursor.cursor.copy(sql) as copy,
        ):
            for obj in objs:
                copy.write_row(row(obj))
    else:
        marks = ", ".join(["%s"] * (len(names) + 1))
        sql = f"INSERT INTO {qn(model._meta.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608
        with connection.cursor() as cursor:
            cursor.executemany(sql, [row(obj) for obj in objs])
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias


def _refresh(item: Item, raw: RawItem) -> bool:
    """Copy engagement, the board's reply and the first comments from a re-fetch; True when
    anything changed."""
    changed = False
    # Comments come after the post: a stored item with fewer than MAX_RESPONSES takes a
    # re-fetch's longer list. The first ones never change, and an empty re-fetch (a list
    # page without comments) must not erase them.
    if raw.responses and len(item.responses or ()) < MAX_RESPONSES:
        responses = _responses(raw)
        if len(responses) > len(item.responses or ()):
            item.responses = responses
            changed = True
    for name, value in _counts(raw).items():
        if getattr(item, name) != value:
            setattr(item, name, value)
            changed = True
    reply = normalize.tidy_text(raw.board_reply)
    status = _cut(normalize.tidy_line(raw.board_status), 50)
    replied_at = _aware(raw.board_replied_at)
    # A board reply only ever appears or changes; an empty re-fetch must not erase it.
    if reply and reply != item.board_reply:
        item.board_reply = reply
        changed = True
    if status and status != item.board_status:
        item.board_status = status
        changed = True
    if replied_at and replied_at != item.board_replied_at:
        item.board_replied_at = replied_at
        changed = True
    return changed


def _add_changed_evidence(pairs: list[tuple[Item, RawItem]], now: dt.datetime) -> None:
    """A re-fetch whose document differs (say, the board replied) is kept as new evidence."""
    with_body = [(item, raw) for item, raw in pairs if raw.evidence_body]
    if not with_body:
        return
    seen = set(
        Evidence.objects.filter(item_id__in=[i.pk for i, _ in with_body]).values_list(
            "item_id", "sha256"
        )
    )
    rows = []
    for item, raw in with_body:
        ev = _evidence(item, raw, now)
        if (item.pk, ev.sha256) not in seen:
            rows.append(ev)
            seen.add((item.pk, ev.sha256))
    Evidence.objects.bulk_create(rows)


def _any_of(wanted: Sequence[tuple[str, Collection[Any]]]) -> Q | RawSQL:
    """Items whose field equals one of its values, for any of the (field, values) pairs.

    On PostgreSQL each field gets one array parameter (``= ANY(%s::text[])``) instead of one
    placeholder per value: for a batch of a thousand posts (five thousand values) Django's and
    psycopg's work per placeholder cost more than the query itself."""
    if connection.vendor != "postgresql":
        q = Q()
        for name, values in wanted:
            q |= Q(**{f"{name}__in": values})
        return q
    parts: list[str] = []
    params: list[list[Any]] = []
    for name, values in wanted:
        field = Item._meta.get_field(name)
        assert isinstance(field, models.Field)
        kind = "int" if field.get_internal_type().endswith("IntegerField") else "text"
        # Column names come from the model, the values travel as parameters.
        parts.append(f'"monitoring_item"."{field.column}" = ANY(%s::{kind}[])')
        params.append(list(values))
    return RawSQL("(" + " OR ".join(parts) + ")", params, output_field=BooleanField())  # noqa: S611


# Where a new item's original is: a stored item's id, or the index (in this batch) of an
# earlier new item that is itself an original. None: the item is an original.
Origin = tuple[Literal["stored", "batch"], int]


def _find_originals(fresh: list[_Prepared]) -> list[Origin | None]:
    if not fresh:
        return []
    by_url = _stored_by_url({p.canonical for p in fresh if p.canonical})
    near = _NearIndex.from_db([p.feats for p in fresh])
    batch_url: dict[str, Origin] = {}
    out: list[Origin | None] = []
    for index, p in enumerate(fresh):
        origin: Origin | None = None
        stored = by_url.get(p.canonical) if p.canonical else None
        if stored is not None:
            origin = ("stored", stored)
        elif p.canonical and p.canonical in batch_url:
            origin = batch_url[p.canonical]
        else:
            origin = near.find(p.feats)
        out.append(origin)
        # Later items of the batch that copy this one point at its root, never at a copy.
        if p.canonical:
            batch_url.setdefault(p.canonical, origin or ("batch", index))
        near.add(origin or ("batch", index), p.feats)
    return out


def _stored_by_url(values: set[str]) -> dict[str, int]:
    """canonical URL -> id of the original of the earliest stored item carrying it."""
    found: dict[str, int] = {}
    if not values:
        return found
    rows = (
        Item.objects.filter(_any_of([("canonical_url", values)]))
        .order_by("pk")
        .values_list("canonical_url", "pk", "duplicate_of_id")
    )
    for value, pk, dup in rows:
        found.setdefault(value, dup or pk)
    return found


class _Candidate:
    """A stored or batch item that may be copied; its features computed only when needed."""

    __slots__ = ("_feats", "_row", "origin")

    def __init__(
        self,
        origin: Origin,
        feats: dedup.Features | None = None,
        row: tuple[str, str, str, str] | None = None,
    ) -> None:
        self.origin = origin
        self._feats = feats
        self._row = row

    @property
    def feats(self) -> dedup.Features:
        if self._feats is None:
            assert self._row is not None
            title, text, title_folded, folded = self._row
            self._feats = dedup.features(title, text, folded_title=title_folded, folded_text=folded)
            self._row = None
        return self._feats


class _NearIndex:
    """Originals that may be copied, by match key and by MinHash band: the stored ones fetched
    in one indexed query, plus the batch's own items. ``find`` verifies each candidate."""

    def __init__(self) -> None:
        self.by_key: dict[str, list[_Candidate]] = defaultdict(list)
        self.by_band: list[dict[int, list[_Candidate]]] = [
            defaultdict(list) for _ in range(dedup.BANDS)
        ]

    @classmethod
    def from_db(cls, batch: list[dedup.Features]) -> _NearIndex:
        index = cls()
        keys = {f.key_hash for f in batch if f.key_hash}
        wanted: list[tuple[str, set[Any]]] = [("content_hash", keys)] if keys else []
        for b in range(dedup.BANDS):
            values = {f.bands[b] for f in batch if f.bands}
            if values:
                wanted.append((f"simhash_b{b}", values))
        if not wanted:
            return index
        q = _any_of(wanted)
        # A copy that matches stands for its original (copies never chain).
        rows = (
            Item.objects.filter(q)
            .order_by("pk")
            .values_list(
                "pk",
                "duplicate_of_id",
                "content_hash",
                "simhash_b0",
                "simhash_b1",
                "simhash_b2",
                "simhash_b3",
                "title",
                "text",
                "title_folded",
                "text_simplified",
            )
        )
        for pk, dup, key_hash, b0, b1, b2, b3, *texts in rows.iterator(chunk_size=2000):
            candidate = _Candidate(("stored", dup or pk), row=tuple(texts))  # type: ignore[arg-type]
            bands = (b0, b1, b2, b3) if None not in (b0, b1, b2, b3) else None
            index._add(candidate, key_hash, bands)  # type: ignore[arg-type]
        return index

    def add(self, origin: Origin, feats: dedup.Features) -> None:
        self._add(_Candidate(origin, feats), feats.key_hash, feats.bands)

    def _add(
        self, candidate: _Candidate, key_hash: str, bands: tuple[int, int, int, int] | None
    ) -> None:
        if key_hash:
            self.by_key[key_hash].append(candidate)
        if bands:
            for b, value in enumerate(bands):
                self.by_band[b][value].append(candidate)

    def find(self, feats: dedup.Features) -> Origin | None:
        """The earliest verified candidate: stored before batch, then oldest."""
        candidates: list[_Candidate] = []
        if feats.key_hash:
            candidates.extend(self.by_key.get(feats.key_hash, ()))
        if feats.bands:
            for b, value in enumerate(feats.bands):
                candidates.extend(self.by_band[b].get(value, ()))
        candidates.sort(key=lambda c: (c.origin[0] != "stored", c.origin[1]))
        tried: set[int] = set()
        for candidate in candidates:
            if id(candidate) in tried:
                continue
            tried.add(id(candidate))
            if dedup.same_post(candidate.feats, feats):
                return candidate.origin
        return None


def _match_rules(items: list[Item], now: dt.datetime) -> None:
    if not items:
        return
    rules: list[tuple[int, keywords.Node]] = []
    for rule in KeywordRule.objects.filter(is_active=True).only("pk", "expression"):
        try:
            rules.append((rule.pk, keywords.compile_rule(rule.expression)))
        except keywords.KeywordSyntaxError:
            log.warning("keyword rule %s does not parse, skipped", rule.pk)
    if not rules:
        return
    rows = []
    for item in items:
        haystack = f"{item.title_folded}\n{item.text_simplified}"
        for rule_id, node in rules:
            if keywords.evaluate(node, haystack):
                rows.append(ItemRuleMatch(item=item, rule_id=rule_id, matched_at=now))
    ItemRuleMatch.objects.bulk_create(rows, ignore_conflicts=True)
