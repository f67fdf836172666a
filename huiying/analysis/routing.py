"""Routing (归口): the places of an item and its responsible units by the R1 rules, with reasons.

Everything city-specific is data: the unit directory (units, their ``functions`` and
``places``) and the gazetteer (orgs.Place), both loaded with ``huiying directory import``.
Another city that loads its own directory and gazetteer gets routing without code changes
(R12). The rules:

- R1.1 an opinion on a city-wide policy or decision -> the competent city department leads;
- R1.2 an item in one district/county/zone -> that local government leads, its competent
  department (its own, or the city's where it has none) as co-unit;
- R1.3 an item spanning several localities -> the competent city department leads, each
  locality is a co-unit for its own territory;
- R1.4 an item spanning several functions -> each competent department, one lead;
- R1.5 no competent department found -> the government office coordinates.

"Competent" comes from the units' ``functions`` (keywords and topic names; a unit named in the
text counts most), never from names in code. Matching is one precompiled trie regex for
places and one for keywords; the directory snapshot is cached in memory and re-read at most
every ``CHECK_SECONDS`` (rebuilt only when the directory or gazetteer changed), or at once
after :func:`invalidate`. With an empty database (a bare CLI run, a test), the shipped files
are read instead.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.db import DatabaseError

CHECK_SECONDS = 5.0
DATA_DIR = Path(__file__).resolve().parents[1] / "orgs" / "data"
DEFAULT_FILES = (DATA_DIR / "nantong.yaml", DATA_DIR / "nantong_places.yaml")

DEPARTMENT_KINDS = frozenset({"city_department", "district_department", "other"})
LOCAL_KINDS = frozenset({"district", "zone"})
CITY_KIND = "city"
GOVERNMENT_OFFICE = "government_office"

# Language, not city data: words that mark an opinion on a policy or decision (R1.1, R3.3-1)
# and words that make its scope the whole city.
POLICY_WORDS = (
    "政策",
    "新政",
    "新规",
    "条例",
    "办法",
    "征求意见",
    "意见稿",
    "出台",
    "实施方案",
    "改革",
    "新标准",
    "听证",
    "一刀切",
    "规定",
    "决定",
)
CITYWIDE_WORDS = ("全市", "市里", "市政府", "市委", "本市", "我市", "全城", "各县市区", "各区")
POLICY_CATEGORY = "R3.3-1"

EXPLICIT_WEIGHT = 3.0  # a unit named in the text
TOPIC_WEIGHT = 1.0  # the item's topic is among the unit's functions
TITLE_FACTOR = 1.5
CO_SHARE = 0.5  # a second function counts when it scores at least half the lead's
CO_MIN = 1.0
MAX_DEPARTMENTS = 3


# --- results ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    name: str  # the gazetteer's name (canonical)
    matched: str  # the words as found in the text
    unit: str  # the unit whose territory it is
    jurisdiction: str  # its district/county/zone, or the city root
    kind: str


@dataclass
class Routing:
    places: list[str]
    units: list[str]  # unit codes, lead first
    reasons: list[str]
    rule: str = ""  # "R1.1" … "R1.5"

    @property
    def lead(self) -> str | None:
        return self.units[0] if self.units else None


# --- the snapshot of the directory and gazetteer ------------------------------------------------


@dataclass(frozen=True)
class UnitInfo:
    code: str
    name: str
    short_name: str
    kind: str
    office: str
    parent: str | None
    functions: tuple[str, ...]
    places: tuple[str, ...]
    order: tuple[int, ...]


@dataclass
class Snapshot:
    units: dict[str, UnitInfo]
    root: str | None
    jurisdiction: dict[str, str]  # unit code -> district/zone code or the root
    place_index: dict[str, tuple[str, str, str]]  # name -> (canonical, unit, kind)
    place_re: re.Pattern[str] | None
    keyword_owners: dict[str, tuple[str, ...]]  # keyword -> unit codes (functions)
    explicit_owners: dict[str, str]  # a unit's own name -> unit code
    keyword_re: re.Pattern[str] | None
    topic_owners: dict[str, tuple[str, ...]]
    government_office: str | None
    source: str
    fingerprint: str = ""
    local_departments: dict[str, list[str]] = field(default_factory=dict)
    # word -> (weight, city units, local units): the scoring of one word, computed once.
    word_info: dict[str, tuple[float, tuple[str, ...], tuple[str, ...]]] = field(
        default_factory=dict
    )

    def name(self, code: str) -> str:
        unit = self.units.get(code)
        return unit.name if unit else code


def _trie_regex(words: Iterable[str]) -> re.Pattern[str] | None:
    """One regex for many literals that finds the longest at each position (a trie)."""
    trie: dict[str, Any] = {}
    for word in words:
        if not word:
            continue
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = True
    if not trie:
        return None

    def build(node: Mapping[str, Any]) -> str:
        ends = "" in node
        branches = [re.escape(ch) + build(sub) for ch, sub in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if ends:
            # Greedy optional: the longer word first, the shorter if it does not go on.
            return ("(?:" + body + ")?") if len(branches) > 1 else f"(?:{body})?"
        return body

    return re.compile(build(trie))


def _unit_rows_from_db() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    from huiying.orgs.models import Place as PlaceRow
    from huiying.orgs.models import Unit

    units: list[dict[str, Any]] = [
        dict(row)
        for row in Unit.objects.filter(is_active=True)
        .order_by("path")
        .values(
            "code",
            "name",
            "short_name",
            "kind",
            "office",
            "parent__code",
            "functions",
            "places",
            "sort_order",
            "path",
        )
    ]
    places: list[dict[str, Any]] = [
        dict(row)
        for row in PlaceRow.objects.filter(unit__is_active=True)
        .order_by("pk")
        .values("name", "aliases", "kind", "unit__code")
    ]
    return units, places


def _rows_from_files(paths: Iterable[Path]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    units: list[dict[str, Any]] = []
    places: list[dict[str, Any]] = []
    for path in paths:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        for i, u in enumerate(data.get("units") or [], start=1):
            units.append(
                {
                    "code": u["code"],
                    "name": u.get("name", ""),
                    "short_name": u.get("short_name") or "",
                    "kind": u.get("kind", "other"),
                    "office": u.get("office") or "",
                    "parent__code": u.get("parent"),
                    "functions": u.get("functions") or [],
                    "places": u.get("places") or [],
                    "sort_order": u.get("sort_order", i * 10),
                    "path": "",
                }
            )
        for p in data.get("places") or []:
            places.append(
                {
                    "name": p["name"],
                    "aliases": p.get("aliases") or [],
                    "kind": p.get("kind", "other"),
                    "unit__code": p["unit"],
                }
            )
    return units, places


def _fingerprint(units: list[dict[str, Any]], places: list[dict[str, Any]]) -> str:
    blob = json.dumps([units, places], ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.blake2b(blob.encode("utf-8"), digest_size=16).hexdigest()


def _strip_city_prefix(name: str) -> str | None:
    # "市教育局" is also written "教育局"; district units carry their district in the name.
    if name.startswith("市") and len(name) >= 4:
        return name[1:]
    return None


def build_snapshot(
    units_rows: list[dict[str, Any]], place_rows: list[dict[str, Any]], *, source: str
) -> Snapshot:
    rows = {r["code"]: r for r in units_rows}
    # Order of siblings as in the directory: parents' order first.
    order: dict[str, tuple[int, ...]] = {}

    def order_of(code: str, seen: frozenset[str] = frozenset()) -> tuple[int, ...]:
        if code in order:
            return order[code]
        r = rows[code]
        parent = r["parent__code"]
        head = order_of(parent, seen | {code}) if parent in rows and parent not in seen else ()
        order[code] = (*head, int(r["sort_order"] or 0))
        return order[code]

    units: dict[str, UnitInfo] = {}
    for code, r in rows.items():
        units[code] = UnitInfo(
            code=code,
            name=r["name"],
            short_name=r["short_name"] or "",
            kind=r["kind"],
            office=r["office"] or "",
            parent=r["parent__code"] if r["parent__code"] in rows else None,
            functions=tuple(str(f).strip() for f in r["functions"] if str(f).strip()),
            places=tuple(str(p).strip() for p in r["places"] if str(p).strip()),
            order=order_of(code),
        )
    roots = sorted((u for u in units.values() if u.parent is None), key=lambda u: u.order)
    root = next((u.code for u in roots if u.kind == CITY_KIND), roots[0].code if roots else None)

    jurisdiction: dict[str, str] = {}
    for code in units:
        cursor: str | None = code
        found = root or code
        hops = 0
        while cursor is not None and hops < 64:
            if units[cursor].kind in LOCAL_KINDS:
                found = cursor
                break
            cursor = units[cursor].parent
            hops += 1
        jurisdiction[code] = found

    # Places: the gazetteer first, then the units' own places and the local units' names.
    candidates: dict[str, list[tuple[str, str, str]]] = {}

    def add_place(name: str, canonical: str, unit: str, kind: str) -> None:
        if name and unit in units:
            candidates.setdefault(name, []).append((canonical, unit, kind))

    for p in place_rows:
        for name in (p["name"], *p["aliases"]):
            add_place(str(name).strip(), p["name"], p["unit__code"], p["kind"])
    for u in units.values():
        if u.kind in LOCAL_KINDS or u.kind in {"town", CITY_KIND}:
            # The city's short name ("市政府") is how people name it, not a place.
            names = {u.name} if u.kind == CITY_KIND else {u.name, u.short_name}
            for name in names - {""}:
                if name not in candidates:
                    add_place(name, u.short_name or u.name, u.code, u.kind)
        for name in u.places:
            if name not in candidates:
                add_place(name, name, u.code, "other")
    place_index: dict[str, tuple[str, str, str]] = {}
    for name, options in candidates.items():
        places = {jurisdiction[unit] for _, unit, _ in options}
        local = places - {root}
        if len(local) > 1:
            continue  # the same name in two districts says nothing about which
        # The more specific reading wins: a district's place over the city's.
        pick = next((o for o in options if jurisdiction[o[1]] in local), options[0])
        place_index[name] = pick

    keyword_sets: dict[str, set[str]] = {}
    explicit_owners: dict[str, str] = {}
    topic_owners: dict[str, list[str]] = {}
    for u in units.values():
        if u.kind not in DEPARTMENT_KINDS:
            continue
        for f in u.functions:
            keyword_sets.setdefault(f, set()).add(u.code)
            topic_owners.setdefault(f, []).append(u.code)
        for name in {u.name, u.short_name, _strip_city_prefix(u.short_name or "")} - {"", None}:
            assert name is not None
            explicit_owners.setdefault(name, u.code)
    keyword_owners = {
        k: tuple(sorted(v, key=lambda c: units[c].order)) for k, v in keyword_sets.items()
    }
    local_departments: dict[str, list[str]] = {}
    for u in sorted(units.values(), key=lambda u: u.order):
        if u.kind in DEPARTMENT_KINDS and jurisdiction[u.code] != root:
            local_departments.setdefault(jurisdiction[u.code], []).append(u.code)
    office = next(
        (
            u.code
            for u in sorted(units.values(), key=lambda u: u.order)
            if u.office == GOVERNMENT_OFFICE
        ),
        None,
    )
    word_info: dict[str, tuple[float, tuple[str, ...], tuple[str, ...]]] = {}
    for word, owners in keyword_owners.items():
        base = 1.0 + 0.25 * max(len(word) - 2, 0)
        city_owners = tuple(c for c in owners if jurisdiction[c] == root)
        local_owners = tuple(c for c in owners if jurisdiction[c] != root)
        word_info[word] = (base, city_owners, local_owners)
    for word, code in explicit_owners.items():
        is_city = jurisdiction[code] == root
        word_info[word] = (EXPLICIT_WEIGHT, (code,) if is_city else (), () if is_city else (code,))
    return Snapshot(
        word_info=word_info,
        units=units,
        root=root,
        jurisdiction=jurisdiction,
        place_index=place_index,
        place_re=_trie_regex(place_index),
        keyword_owners=keyword_owners,
        explicit_owners=explicit_owners,
        keyword_re=_trie_regex(set(keyword_owners) | set(explicit_owners)),
        topic_owners={k: tuple(v) for k, v in topic_owners.items()},
        government_office=office,
        source=source,
        local_departments=local_departments,
    )


class _Cache:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.snapshot: Snapshot | None = None
        self.checked = 0.0

    def get(self) -> Snapshot:
        now = time.monotonic()
        snap = self.snapshot
        if snap is not None and now - self.checked < CHECK_SECONDS:
            return snap
        with self.lock:
            if self.snapshot is not None and time.monotonic() - self.checked < CHECK_SECONDS:
                return self.snapshot
            try:
                units, places, source = _load_rows(keep=self.snapshot is not None)
            except DatabaseError:
                # The database failed for a moment: keep the directory we had.
                assert self.snapshot is not None
                self.checked = time.monotonic()
                return self.snapshot
            fingerprint = _fingerprint(units, places)
            if self.snapshot is None or self.snapshot.fingerprint != fingerprint:
                snap = build_snapshot(units, places, source=source)
                snap.fingerprint = fingerprint
                self.snapshot = snap
            self.checked = time.monotonic()
            return self.snapshot

    def clear(self) -> None:
        with self.lock:
            self.snapshot = None
            self.checked = 0.0


_cache = _Cache()


def _fallback_files() -> list[Path]:
    configured = getattr(settings, "HUIYING_ROUTING_FILES", None)
    return [Path(p) for p in configured] if configured else list(DEFAULT_FILES)


def _load_rows(*, keep: bool = False) -> tuple[list[dict[str, Any]], list[dict[str, Any]], str]:
    """The directory's rows from the database, or the files when it holds none (or has no
    tables); with ``keep``, a database error is raised so that the caller keeps what it had."""
    try:
        units, places = _unit_rows_from_db()
    except DatabaseError:
        if keep:
            raise
        units, places = [], []
    if units:
        return units, places, "database"
    files = _fallback_files()
    units, places = _rows_from_files(files)
    return units, places, "files:" + ",".join(p.name for p in files)


def snapshot() -> Snapshot:
    """The cached directory snapshot (re-read at most every CHECK_SECONDS)."""
    return _cache.get()


def invalidate() -> None:
    """Forget the cached directory: the next call reads it again (after an import, in tests)."""
    _cache.clear()


def jurisdiction_of(code: str) -> str | None:
    """The district/county/zone a unit belongs to (itself for one), the city root, or None."""
    return snapshot().jurisdiction.get(code)


# --- places ------------------------------------------------------------------------------------


def find_places(text: str, *, snap: Snapshot | None = None) -> list[Place]:
    """The gazetteer's places in the text, in order of first appearance, each once."""
    snap = snap or snapshot()
    if snap.place_re is None or not text:
        return []
    found: dict[str, Place] = {}
    for m in snap.place_re.finditer(text):
        word = m.group()
        if not word or word not in snap.place_index:
            continue
        canonical, unit, kind = snap.place_index[word]
        if canonical not in found:
            found[canonical] = Place(
                name=canonical,
                matched=word,
                unit=unit,
                jurisdiction=snap.jurisdiction[unit],
                kind=kind,
            )
    return list(found.values())


# --- routing -----------------------------------------------------------------------------------


@dataclass
class _Scores:
    score: dict[str, float] = field(default_factory=dict)
    words: dict[str, dict[str, None]] = field(default_factory=dict)  # ordered sets

    def add(self, code: str, weight: float, word: str) -> None:
        self.score[code] = self.score.get(code, 0.0) + weight
        words = self.words.get(code)
        if words is None:
            self.words[code] = {word: None}
        else:
            words[word] = None


def _keyword_hits(text: str, title_len: int, snap: Snapshot) -> dict[str, tuple[int, bool]]:
    hits: dict[str, tuple[int, bool]] = {}
    if snap.keyword_re is None:
        return hits
    info = snap.word_info
    for m in snap.keyword_re.finditer(text):
        word = m.group()
        if word in info:
            old = hits.get(word)
            if old is None:
                hits[word] = (1, m.start() < title_len)
            else:
                hits[word] = (old[0] + 1, old[1] or m.start() < title_len)
    return hits


def _score(
    hits: Mapping[str, tuple[int, bool]], topic: str | None, snap: Snapshot
) -> tuple[_Scores, _Scores]:
    """Scores of the city's departments and of the local departments, from the same words."""
    city, local = _Scores(), _Scores()
    info = snap.word_info
    for word, (count, in_title) in hits.items():
        base, city_owners, local_owners = info[word]
        weight = base * (TITLE_FACTOR if in_title else 1.0)
        if count > 1:
            weight *= 1.0 + 0.3 * (min(count, 3) - 1)
        if city_owners:
            share = weight / len(city_owners)
            for code in city_owners:
                city.add(code, share, word)
        for code in local_owners:
            local.add(code, weight, word)
    if topic:
        for code in snap.topic_owners.get(topic, ()):
            target = city if snap.jurisdiction[code] == snap.root else local
            target.add(code, TOPIC_WEIGHT, topic)
    return city, local


def _competent(scores: _Scores, snap: Snapshot) -> list[str]:
    """The departments whose functions the item touches, strongest first (R1.4)."""
    ranked = sorted(
        (c for c, s in scores.score.items() if s > 0),
        key=lambda c: (-scores.score[c], snap.units[c].order),
    )
    if not ranked:
        return []
    lead = ranked[0]
    top = scores.score[lead]
    chosen = [lead]
    covered = set(scores.words[lead])
    for code in ranked[1:]:
        if len(chosen) >= MAX_DEPARTMENTS:
            break
        own = [w for w in scores.words[code] if w not in covered]
        if scores.score[code] >= max(CO_MIN, CO_SHARE * top) and own:
            chosen.append(code)
            covered.update(own)
    return chosen


def _local_equivalent(
    city_code: str, district: str, scores: _Scores, local: _Scores, snap: Snapshot
) -> str:
    """The district's own department for the same functions, else the city's (R1.2)."""
    words = set(scores.words.get(city_code, ()))
    best, best_n = None, 0
    for code in snap.local_departments.get(district, ()):
        n = len(words & set(local.words.get(code, ())))
        if n > best_n:
            best, best_n = code, n
    return best or city_code


def _quote(words: Iterable[str]) -> str:
    return "「" + "、".join(words) + "」"


def _names(codes: Iterable[str], snap: Snapshot) -> str:
    return "、".join(snap.name(c) for c in codes)


def route(
    *, text: str, title: str = "", topic: str | None = None, category: str | None = None
) -> Routing:
    """The item's places and responsible units (lead first) by R1.1–R1.5, with reasons."""
    snap = snapshot()
    title = title or ""
    full = f"{title}\n{text or ''}" if title else (text or "")
    places = find_places(full, snap=snap)
    reasons: list[str] = []
    districts: list[str] = []
    for p in places:
        if p.jurisdiction != snap.root and p.jurisdiction not in districts:
            districts.append(p.jurisdiction)
    if places:
        shown = []
        for p in places[:8]:
            owner = snap.units[p.jurisdiction]
            label = owner.short_name or owner.name
            plain = p.jurisdiction == snap.root or p.name in (label, owner.name)
            shown.append(p.name if plain else f"{p.name}（{label}）")
        reasons.append("识别到地名：" + "、".join(shown) + "。")

    hits = _keyword_hits(full, len(title) + 1 if title else 0, snap)
    city_scores, local_scores = _score(hits, topic, snap)
    departments = _competent(city_scores, snap)
    words_of = {c: list(city_scores.words.get(c, ())) for c in departments}

    policy_words = [w for w in POLICY_WORDS if w in full]
    citywide_words = [w for w in CITYWIDE_WORDS if w in full]
    policy = category == POLICY_CATEGORY or bool(policy_words and (not districts or citywide_words))

    def competence_reason(codes: list[str], role: str) -> None:
        for code in codes:
            words = [w for w in words_of.get(code, []) if w != topic]
            parts = []
            if topic and topic in words_of.get(code, []):
                parts.append(f"话题「{topic}」")
            if words:
                parts.append(f"词语{_quote(words[:5])}")
            basis = "、".join(parts) or "职能"
            reasons.append(f"谁主管谁负责：{basis}属于{snap.name(code)}的职能，{role}。")

    # Departments of a district named in the text itself (崇川城管局), by district.
    named_local: dict[str, list[str]] = {}
    for code, local_words in local_scores.words.items():
        if any(snap.explicit_owners.get(w) == code for w in local_words):
            named_local.setdefault(snap.jurisdiction[code], []).append(code)

    units: list[str]
    rule: str
    if not departments:
        office = snap.government_office
        if len(districts) == 1:
            rule = "R1.2"
            units = [districts[0], *named_local.get(districts[0], [])]
            reasons.append(
                f"R1.2 属地管理：事项发生在{snap.name(districts[0])}辖区，由其负责并明确回应主体；"
                "未识别到职能对口的市级部门。"
            )
        else:
            rule = "R1.5"
            units = [office] if office else []
            units += districts
            where = f"（涉及{_names(districts, snap)}）" if districts else ""
            reasons.append(
                f"R1.5 未识别到职能对口的部门{where}：由{snap.name(office) if office else '政府办公室'}"
                "组织协调、明确责任单位。"
            )
    elif policy:
        rule = "R1.1"
        units = departments + districts
        why = f"（词语{_quote(policy_words[:4])}）" if policy_words else ""
        if category == POLICY_CATEGORY and not why:
            why = "（分类为对市重大政策、决策的讨论）"
        reasons.append(
            f"R1.1 市级政策：事项针对全市性的政策或决定{why}，由市级主管部门"
            f"{snap.name(departments[0])}作为回应主体。"
        )
        competence_reason(departments[:1], "牵头")
        competence_reason(departments[1:], "协办")
        if districts:
            reasons.append(f"涉及{_names(districts, snap)}，各就本辖区协同回应。")
    elif len(districts) == 1:
        rule = "R1.2"
        district = districts[0]
        # A department of the district named in the text first, then the competent ones.
        co = list(named_local.get(district, []))
        for code in departments:
            equivalent = _local_equivalent(code, district, city_scores, local_scores, snap)
            if equivalent not in co:
                co.append(equivalent)
        units = [district, *co]
        named = [p.name for p in places if p.jurisdiction == district][:4]
        reasons.append(
            f"R1.2 属地管理：事项只涉及{snap.name(district)}一地（地名{_quote(named)}），"
            f"由{snap.name(district)}负责并明确回应主体。"
        )
        for code in co:
            words = list(local_scores.words.get(code) or city_scores.words.get(code) or [])
            words = [w for w in words if w != topic] or words
            reasons.append(
                f"谁主管谁负责：词语{_quote(words[:5])}属于{snap.name(code)}的职能，列为协办。"
            )
    elif len(districts) > 1:
        rule = "R1.3"
        units = departments + districts
        reasons.append(
            f"R1.3 跨地区：事项涉及{_names(districts, snap)}{len(districts)}地，"
            f"由市级主管部门{snap.name(departments[0])}牵头，各地就本辖区回应、列为协办。"
        )
        competence_reason(departments[:1], "牵头")
        competence_reason(departments[1:], "协办")
    else:
        rule = "R1.1"
        units = list(departments)
        reasons.append(
            f"R1.1 市级主管：未识别到具体县（市）区，按谁主管谁负责，由市级主管部门"
            f"{snap.name(departments[0])}作为回应主体。"
        )
        competence_reason(departments[:1], "牵头")
        competence_reason(departments[1:], "协办")
    if rule == "R1.2" and len(units) > 2:
        reasons.append(
            f"R1.4 跨部门：事项涉及{_names(units[1:], snap)}的职能，各在职责内协办，统一口径回应。"
        )
    elif len(departments) > 1 and rule != "R1.2":
        reasons.append(
            f"R1.4 跨部门：事项涉及{_names(departments, snap)}的职能，"
            f"由{snap.name(departments[0])}牵头，其余协办，统一口径回应。"
        )
    units = list(dict.fromkeys(units))  # each unit once, in order
    return Routing(places=[p.name for p in places], units=units, reasons=reasons, rule=rule)
