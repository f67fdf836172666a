"""Ingestion: normalise, de-duplicate and store what collectors hand over.

``ingest_items`` is the one entry point for every source kind (polled, pushed, imported,
manual). For each ``RawItem``:

1. Normalise (outside the transaction, it is CPU only): HTML stripped, traditional folded
   to simplified for analysis, canonical URL, content hash, rjieba tokens, SimHash.
2. Same source + external id as a stored item: the same post seen again. Engagement and
   the board's reply are updated, an EngagementSample is added when counts changed, and
   it counts as ``updated`` (or ``unchanged``).
3. Otherwise it is stored. If an earlier item has the same canonical URL or content hash,
   or a SimHash within 3 bits (texts of at least 20 words), it is stored as a duplicate of
   that item's original (``duplicate_of``; chains never form): evidence is kept, the copy
   is grouped under the original.
4. New items are matched against active keyword rules and watches (alerts at once).

Everything after normalisation runs in one transaction; a conflicting concurrent insert of
the same external id makes the batch run again once, now seeing the stored row.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections import defaultdict
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, Literal

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from huiying.common import outbox
from huiying.common.validators import has_http_scheme, without_nul
from huiying.monitoring import keywords, normalize, search, segment, simhash
from huiying.monitoring.models import (
    EngagementSample,
    Evidence,
    Item,
    ItemRuleMatch,
    KeywordRule,
    Source,
)
from huiying.monitoring.services_watch import match_watches
from huiying.monitoring.types import RawItem

log = logging.getLogger("huiying.monitoring.ingest")

MIN_HASH_CHARS = 10  # shorter content ("图片", "转发") would make unrelated posts "identical"
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


@dataclass
class _Prepared:
    raw: RawItem
    title: str
    text: str
    simplified: str
    canonical: str
    chash: str
    hash_ok: bool
    tokens: str
    fingerprint: int | None  # signed 64-bit
    bands: tuple[int, int, int, int] | None
    external_id: str
    platform: str
    published_at: dt.datetime | None
    posted_at: dt.datetime


def _without_nul(raw: RawItem) -> RawItem:
    texts = {f.name: without_nul(getattr(raw, f.name)) for f in fields(raw)}
    return replace(raw, **{k: v for k, v in texts.items() if k != "evidence_body"})


def _cut(value: str, length: int) -> str:
    return value[:length] if len(value) > length else value


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is not None and timezone.is_naive(value):
        return timezone.make_aware(value)
    return value


def _prepare(source: Source, raw: RawItem, now: dt.datetime) -> _Prepared | None:
    title = _cut(normalize.clean_line(raw.title), 500)
    text = normalize.clean_text(raw.text)
    if not (title or text or raw.url.strip()):
        return None
    simplified = normalize.to_simplified(text)
    title_s = normalize.to_simplified(title)
    words = segment.words(normalize.strip_repost_noise(f"{title_s}\n{simplified}"))
    fingerprint: int | None = None
    bands: tuple[int, int, int, int] | None = None
    if len(words) >= simhash.MIN_TOKENS:
        unsigned = simhash.simhash(words)
        fingerprint = simhash.to_signed(unsigned)
        bands = simhash.bands(unsigned)
    published_at = _aware(raw.published_at)
    posted_at = (
        published_at if published_at is not None and published_at <= now + FUTURE_SLACK else now
    )
    chash, hashed_chars = normalize.content_hash_and_size(title, text)
    return _Prepared(
        raw=raw,
        title=title,
        text=text,
        simplified=simplified,
        canonical=_cut(normalize.canonical_url(raw.url), 1000),
        chash=chash,
        hash_ok=hashed_chars >= MIN_HASH_CHARS,
        tokens=segment.index_tokens(f"{title_s}\n{simplified}"),
        fingerprint=fingerprint,
        bands=bands,
        external_id=_cut(raw.external_id.strip(), 200),
        platform=_cut(raw.platform.strip() or source.platform, 50),
        published_at=published_at,
        posted_at=posted_at,
    )


def _evidence(item: Item, raw: RawItem, now: dt.datetime) -> Evidence:
    body = raw.evidence_body
    content_type = raw.evidence_content_type
    if not body:
        # A pushed or imported item has no fetched document: keep what was handed over.
        body = json.dumps(asdict(raw), ensure_ascii=False, default=str, sort_keys=True).encode(
            "utf-8"
        )
        content_type = "application/json; charset=utf-8"
    return Evidence(
        item=item,
        fetched_at=now,
        url=_cut(raw.evidence_url or raw.url, 1000),
        content_type=_cut(content_type, 100),
        body=body,
        sha256=hashlib.sha256(body).hexdigest(),
    )


def _sample(item: Item, now: dt.datetime) -> EngagementSample:
    return EngagementSample(item=item, sampled_at=now, **{k: getattr(item, k) for k in ENGAGEMENT})


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
    # Posts are other people's text: a NUL in it made PostgreSQL refuse the whole batch.
    items = [_without_nul(raw) for raw in items]
    prepared: list[_Prepared | None] = [_prepare(source, raw, now) for raw in items]
    search.ensure_sqlite_fts()
    for attempt in range(2):
        try:
            with transaction.atomic():
                result = _store(source, prepared, now)
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


def _store(source: Source, prepared: list[_Prepared | None], now: dt.datetime) -> IngestResult:
    result = IngestResult()
    ids: list[int | Item | None] = []  # per input: a stored id, a pending Item, or None

    # 2. Seen before: same source and external id (also repeated within the batch).
    ext_ids = {p.external_id for p in prepared if p is not None and p.external_id}
    known: dict[str, Item] = {}
    if ext_ids:
        known = {
            i.external_id: i for i in Item.objects.filter(source=source, external_id__in=ext_ids)
        }
    batch_ext: dict[str, int] = {}  # external id -> position in ``fresh``
    repeats: list[tuple[int, int, RawItem]] = []  # (input index, position in fresh, raw)
    changed: dict[int, Item] = {}
    samples: list[EngagementSample] = []
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
                samples.append(_sample(item, now))
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
            list(changed.values()), [*ENGAGEMENT, "board_reply", "board_status", "board_replied_at"]
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
            text=p.text,
            text_simplified=p.simplified,
            author=_cut(normalize.clean_line(p.raw.author), 200),
            published_at=p.published_at,
            captured_at=now,
            posted_at=p.posted_at,
            content_hash=p.chash,
            simhash=p.fingerprint,
            simhash_b0=p.bands[0] if p.bands else None,
            simhash_b1=p.bands[1] if p.bands else None,
            simhash_b2=p.bands[2] if p.bands else None,
            simhash_b3=p.bands[3] if p.bands else None,
            board_reply=normalize.clean_text(p.raw.board_reply),
            board_status=_cut(normalize.clean_line(p.raw.board_status), 50),
            board_replied_at=_aware(p.raw.board_replied_at),
            extra=_jsonable(p.raw.extra),
            search_tokens=p.tokens,
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
    Item.objects.bulk_create(first_pass)
    for copy, original_item in second_pass:
        copy.duplicate_of_id = original_item.pk
    Item.objects.bulk_create([copy for copy, _ in second_pass])
    for item, _p in created:
        if item.duplicate_of_id is None:
            result.new += 1
        else:
            result.duplicates += 1
    Evidence.objects.bulk_create([_evidence(item, p.raw, now) for item, p in created])
    EngagementSample.objects.bulk_create(samples + [_sample(item, now) for item, _ in created])
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


def _refresh(item: Item, raw: RawItem) -> bool:
    """Copy engagement and the board's reply from a re-fetch; True when anything changed."""
    changed = False
    for name, value in _counts(raw).items():
        if getattr(item, name) != value:
            setattr(item, name, value)
            changed = True
    reply = normalize.clean_text(raw.board_reply)
    status = _cut(normalize.clean_line(raw.board_status), 50)
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


# Where a new item's original is: a stored item's id, or the index (in this batch) of an
# earlier new item that is itself an original. None: the item is an original.
Origin = tuple[Literal["stored", "batch"], int]


def _find_originals(fresh: list[_Prepared]) -> list[Origin | None]:
    if not fresh:
        return []
    by_url = _stored_originals("canonical_url", {p.canonical for p in fresh if p.canonical})
    by_hash = _stored_originals("content_hash", {p.chash for p in fresh if p.hash_ok})
    near = _NearIndex.from_db([p.bands for p in fresh if p.bands])
    batch_url: dict[str, Origin] = {}
    batch_hash: dict[str, Origin] = {}
    out: list[Origin | None] = []
    for index, p in enumerate(fresh):
        origin: Origin | None = None
        stored = by_url.get(p.canonical) if p.canonical else None
        if stored is None and p.hash_ok:
            stored = by_hash.get(p.chash)
        if stored is not None:
            origin = ("stored", stored)
        elif p.canonical and p.canonical in batch_url:
            origin = batch_url[p.canonical]
        elif p.hash_ok and p.chash in batch_hash:
            origin = batch_hash[p.chash]
        elif p.fingerprint is not None:
            origin = near.find(p.fingerprint)
        out.append(origin)
        # Later items of the batch that copy this one point at its root, never at a copy.
        root: Origin = origin or ("batch", index)
        if p.canonical:
            batch_url.setdefault(p.canonical, root)
        if p.hash_ok:
            batch_hash.setdefault(p.chash, root)
        if p.fingerprint is not None and p.bands is not None:
            near.add(root, p.fingerprint, p.bands)
    return out


def _stored_originals(field_name: str, values: set[str]) -> dict[str, int]:
    """value -> id of the original of the earliest stored item carrying it."""
    found: dict[str, int] = {}
    if not values:
        return found
    rows = (
        Item.objects.filter(**{f"{field_name}__in": values})
        .order_by("pk")
        .values_list(field_name, "pk", "duplicate_of_id")
    )
    for value, pk, dup in rows:
        found.setdefault(value, dup or pk)
    return found


class _NearIndex:
    """SimHash candidates by band: stored ones fetched in one indexed query, plus the batch."""

    def __init__(self, stored: list[tuple[int, int, int | None]]) -> None:
        self.by_band: list[dict[int, list[tuple[Origin, int]]]] = [
            defaultdict(list) for _ in range(4)
        ]
        for pk, fp, dup in stored:
            self.add(("stored", dup or pk), fp, simhash.bands(fp))

    @classmethod
    def from_db(cls, all_bands: list[tuple[int, int, int, int]]) -> _NearIndex:
        if not all_bands:
            return cls([])
        q = Q()
        for b in range(4):
            q |= Q(**{f"simhash_b{b}__in": {bs[b] for bs in all_bands}})
        rows = Item.objects.filter(q).order_by("pk").values_list("pk", "simhash", "duplicate_of_id")
        return cls([(pk, fp, dup) for pk, fp, dup in rows if fp is not None])

    def add(self, origin: Origin, fingerprint: int, bands: tuple[int, int, int, int]) -> None:
        for b, value in enumerate(bands):
            self.by_band[b][value].append((origin, fingerprint))

    def find(self, fingerprint: int) -> Origin | None:
        """The closest candidate within MAX_DISTANCE; stored before batch, then oldest."""
        best: tuple[int, int, int, Origin] | None = None
        for b, value in enumerate(simhash.bands(fingerprint)):
            for origin, fp in self.by_band[b].get(value, ()):
                d = simhash.hamming(fp, fingerprint)
                if d > simhash.MAX_DISTANCE:
                    continue
                key = (d, 0 if origin[0] == "stored" else 1, origin[1], origin)
                if best is None or key[:3] < best[:3]:
                    best = key
        return None if best is None else best[3]


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
        haystack = keywords.fold(f"{item.title}\n{item.text_simplified}")
        for rule_id, node in rules:
            if keywords.evaluate(node, haystack):
                rows.append(ItemRuleMatch(item=item, rule_id=rule_id, matched_at=now))
    ItemRuleMatch.objects.bulk_create(rows, ignore_conflicts=True)
