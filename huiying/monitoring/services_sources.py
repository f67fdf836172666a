"""Sources: definitions saved from files or the form, and one collection run at a time.

``collect_source`` never raises for a source's own trouble (timeouts, 500s, broken pages,
a wrong definition): it records it on the source (``last_error``, consecutive failures,
backed-off ``next_due_at``) and on a ``SourceRun``, and logs it, so one broken source never
stops the others. Validators (ETag / Last-Modified) are stored only after what a run read
is safely stored, so a failed or partial run reads the page again next time.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import logging
import secrets
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

import yaml
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from huiying.common import outbox
from huiying.common.audit import record_event
from huiying.monitoring import services_threads
from huiying.monitoring.access import check_manage, own_unit
from huiying.monitoring.collectors.base import CollectorError, Context, Known, Outcome
from huiying.monitoring.collectors.definition import (
    POLLED_KINDS,
    DefinitionError,
    normalise_definition,
)
from huiying.monitoring.collectors.registry import collector_for
from huiying.monitoring.collectors.search import PLACEHOLDERS, extra_search_keywords
from huiying.monitoring.egress import may_reach
from huiying.monitoring.fetch import FetchError, FetchPolicy, HttpClient, RateLimited, RateLimitRule
from huiying.monitoring.ingest import IngestResult, ingest_items
from huiying.monitoring.models import Item, Source, SourceRun
from huiying.monitoring.services_watch import active_watches
from huiying.orgs.models import Unit

log = logging.getLogger("huiying.monitoring.collect")

MAX_BACKOFF = dt.timedelta(hours=6)
# A run still unfinished after this long is taken for dead (its worker was killed).
RUN_STALE_AFTER = dt.timedelta(minutes=15)
SAVED_FIELDS = (
    "name",
    "kind",
    "platform",
    "url",
    "interval_seconds",
    "watch_interval_seconds",
    "is_active",
    "config",
)
# Changing these makes what was fetched before meaningless: read everything afresh.
RESET_ON_CHANGE = ("kind", "url", "config")

Status = Literal["ok", "not_modified", "failed", "skipped", "rate_limited"]
# SourceRun.outcome beyond ok / failed, as the health page shows them.
PARTIAL, RATE_LIMITED, GAP = "partial", "rate_limited", "gap"


# --- definitions --------------------------------------------------------------------------


def parse_definitions(text: str) -> list[Any]:
    """Definitions from YAML or JSON text: one mapping, a list, or ``{"sources": [...]}``."""
    try:
        data = json.loads(text) if text.lstrip()[:1] in ("{", "[") else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise DefinitionError({"__all__": [f"无法解析 YAML/JSON：{exc}"[:500]]}) from exc
    if isinstance(data, Mapping) and "sources" in data and "code" not in data:
        data = data["sources"]
    if isinstance(data, Mapping):
        return [data]
    if isinstance(data, list) and data:
        return data
    raise DefinitionError(
        {"__all__": ["没有找到监测源定义（应为一个定义、定义列表或 sources: 列表）"]}
    )


@dataclass
class Saved:
    source: Source
    created: bool
    changed: bool
    new_secret: str = ""  # a generated vendor secret, to be shown once


def _owner(code: str) -> Unit | None:
    if not code:
        return None
    unit = Unit.objects.filter(code=code).first()
    if unit is None:
        raise DefinitionError({"owner_unit": [f"单位代码不存在：{code}"]})
    return unit


def _check_reachable(url: str) -> None:
    """An address typed as an IP the installation refuses is named at once, not at the first
    poll (a host name is checked when it is resolved, at every connection)."""
    host = urlsplit(url).hostname or ""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return
    if not may_reach(ip):
        raise DefinitionError(
            {
                "url": [
                    f"地址 {host} 是内网或保留地址，按本系统设置监测源不能访问（HUIYING_SOURCE_ALLOWED_NETWORKS）"
                ]
            }
        )


def _public(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if k != "secret"}


@transaction.atomic
def source_save(definition: Any, *, actor: Any = None, mode: str = "upsert") -> Saved:
    """Create or update (by code) the source a definition describes. ``mode``: upsert /
    create (an existing code is an error) / update (a missing code is an error)."""
    data = normalise_definition(definition)
    _check_reachable(data["url"])
    source = (
        Source.objects.select_for_update(of=("self",))
        .select_related("owner_unit")
        .filter(code=data["code"])
        .first()
    )
    if not data["owner_unit"]:
        if source is not None and source.owner_unit is not None:
            data["owner_unit"] = source.owner_unit.code  # unnamed: it stays whose it was
        elif source is None and actor is not None and (mine := own_unit(actor)) is not None:
            data["owner_unit"] = mine.code  # a district's monitor adds his district's sources
    owner = _owner(data["owner_unit"])
    if actor is not None:
        # People change only what their unit owns (网信办: the city's); the operator's command
        # line (no actor) is the installation's own.
        if source is not None:
            check_manage(actor, source.owner_unit, _("监测源"))
        check_manage(actor, owner, _("监测源"))
    if source is not None and mode == "create":
        raise DefinitionError({"code": [f"代码 {data['code']} 已被监测源“{source.name}”使用"]})
    if source is None and mode == "update":
        raise DefinitionError({"code": [f"监测源 {data['code']} 不存在"]})
    created = source is None
    new_secret = ""
    if source is None:
        source = Source(code=data["code"])
    before = {f: getattr(source, f) for f in SAVED_FIELDS} if not created else {}
    for name in SAVED_FIELDS:
        setattr(source, name, data[name])
    source.owner_unit = owner
    if data["secret"]:
        source.secret = data["secret"]
    elif data["kind"] == "vendor_push" and not source.secret:
        new_secret = source.secret = secrets.token_urlsafe(32)
    after = {f: getattr(source, f) for f in SAVED_FIELDS}
    changed = created or before != after or bool(data["secret"])
    if not created and any(before.get(f) != after[f] for f in RESET_ON_CHANGE):
        source.etag = source.last_modified = ""
        source.next_due_at = None  # poll the new definition at once
    if changed:
        source.save()
        if source.kind in POLLED_KINDS and source.is_active and source.next_due_at is None:
            # A new (or redefined) source is polled at once, not at the next tick.
            outbox.emit(
                "source.poll_now",
                aggregate_type="source",
                aggregate_id=source.pk,
                payload={"source": source.pk},
                actor=actor,
            )
        record_event(
            actor=actor,
            action="source.create" if created else "source.update",
            object_type="source",
            object_id=source.pk,
            before=_public(before),
            after=_public(after)
            | {
                "owner_unit": data["owner_unit"],
                "secret_changed": bool(data["secret"] or new_secret),
            },
        )
    return Saved(source=source, created=created, changed=changed, new_secret=new_secret)


def source_create(definition: Any, *, actor: Any = None) -> Saved:
    return source_save(definition, actor=actor, mode="create")


def source_update(source: Source, definition: Any, *, actor: Any = None) -> Saved:
    code = definition.get("code") if isinstance(definition, Mapping) else None
    if code != source.code:
        raise DefinitionError({"code": [f"代码不可修改（应为 {source.code}）"]})
    return source_save(definition, actor=actor, mode="update")


def definition_of(source: Source) -> dict[str, Any]:
    """The source as a definition (what `sources add` takes back); the secret left out."""
    data: dict[str, Any] = {
        "code": source.code,
        "name": source.name,
        "kind": source.kind,
        "platform": source.platform,
    }
    if source.url:
        data["url"] = source.url
    data["interval_seconds"] = source.interval_seconds
    data["watch_interval_seconds"] = source.watch_interval_seconds
    if not source.is_active:
        data["is_active"] = False
    if source.owner_unit_id:
        data["owner_unit"] = Unit.objects.values_list("code", flat=True).get(
            pk=source.owner_unit_id
        )
    if source.config:
        data["config"] = source.config
    return data


# --- scheduling ---------------------------------------------------------------------------


def effective_interval(source: Source, watch_active: bool) -> int:
    """Seconds between polls; the (shorter) watch interval while a 24-hour watch is open."""
    if watch_active:
        return max(1, min(source.interval_seconds, source.watch_interval_seconds))
    return max(1, source.interval_seconds)


def due_at(source: Source, watch_active: bool) -> dt.datetime | None:
    """When the source is next due (None: now). An open watch pulls a healthy source's next
    poll forward to its last attempt plus the watch interval; a backed-off one waits."""
    due = source.next_due_at
    if watch_active and source.consecutive_failures == 0 and source.last_attempt_at is not None:
        faster = source.last_attempt_at + dt.timedelta(seconds=effective_interval(source, True))
        if due is None or faster < due:
            due = faster
    return due


def is_due(source: Source, now: dt.datetime, watch_active: bool) -> bool:
    due = due_at(source, watch_active)
    return due is None or due <= now


def due_sources(now: dt.datetime | None = None) -> list[Source]:
    now = now or timezone.now()
    watch_active = active_watches(now).exists()
    candidates = Source.objects.filter(is_active=True, kind__in=POLLED_KINDS).order_by("pk")
    return [s for s in candidates if is_due(s, now, watch_active)]


def dispatch_due_sources(
    enqueue: Callable[[int, float], Any], now: dt.datetime | None = None, *, within: float = 0.0
) -> list[int]:
    """Hand every source due now or in the next ``within`` seconds to ``enqueue(id, delay)``.

    The periodic task looks ``within`` one tick ahead and schedules each source for its due
    second, so a poll is late by the queue's latency, not by up to a whole tick.
    """
    now = now or timezone.now()
    watch_active = active_watches(now).exists()
    horizon = now + dt.timedelta(seconds=within)
    ids: list[int] = []
    for source in Source.objects.filter(is_active=True, kind__in=POLLED_KINDS).order_by("pk"):
        due = due_at(source, watch_active)
        if due is not None and due > horizon:
            continue
        delay = max(0.0, (due - now).total_seconds()) if due is not None else 0.0
        enqueue(source.pk, delay)
        ids.append(source.pk)
    return ids


# --- one run ------------------------------------------------------------------------------


@dataclass
class CollectResult:
    source_code: str
    status: Status
    run_id: int | None = None
    fetched: int = 0
    new: int = 0
    duplicates: int = 0
    updated: int = 0
    message: str = ""  # the error, the problems, or why it was skipped

    def line(self) -> str:
        """One line for the console (`huiying collect`)."""
        if self.status == "skipped":
            return f"{self.source_code}: 跳过（{self.message}）"
        if self.status == "failed":
            return f"{self.source_code}: 失败：{self.message}"
        if self.status == "rate_limited" and not self.fetched:
            return f"{self.source_code}: 限流：{self.message}"
        if self.status == "not_modified":
            return f"{self.source_code}: 未变化（HTTP 304），0 条"
        label = "限流，已读取部分" if self.status == "rate_limited" else "成功"
        text = (
            f"{self.source_code}: {label}，读取 {self.fetched} 条，新增 {self.new} 条，"
            f"重复 {self.duplicates} 条，更新 {self.updated} 条"
        )
        return text + (f"；注意：{self.message}" if self.message else "")


def _claim(source: Source, now: dt.datetime, watch_active: bool, force: bool) -> str:
    """Take the source for this run; "" on success, else why not (another run has it)."""
    if SourceRun.objects.filter(
        source_id=source.pk, finished_at__isnull=True, started_at__gte=now - RUN_STALE_AFTER
    ).exists():
        return "正在采集中"
    if not force and not is_due(source, now, watch_active):
        return "未到采集时间"
    # Compare-and-set on the last attempt: of two workers holding the same task, one wins.
    # The provisional next_due_at keeps the dispatcher from handing it out again meanwhile.
    claimed = (
        Source.objects.filter(pk=source.pk, last_attempt_at=source.last_attempt_at)
        if source.last_attempt_at is not None
        else Source.objects.filter(pk=source.pk, last_attempt_at__isnull=True)
    ).update(
        last_attempt_at=now,
        next_due_at=now + dt.timedelta(seconds=effective_interval(source, watch_active)),
    )
    return "" if claimed else "另一进程已开始采集"


def _known_lookup(source_id: int) -> Callable[[Collection[str]], dict[str, Known]]:
    def lookup(keys: Collection[str]) -> dict[str, Known]:
        wanted = sorted({k for k in keys if k})
        found: dict[str, Known] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            rows = Item.objects.filter(source_id=source_id).filter(
                Q(external_id__in=chunk) | Q(url__in=chunk)
            )
            for external_id, url, reply, captured, status in rows.values_list(
                "external_id", "url", "board_reply", "captured_at", "board_status"
            ):
                known = Known(has_reply=bool(reply), captured_at=captured, status=status)
                for key in (external_id, url):
                    if key in chunk:
                        found[key] = known
        return found

    return lookup


def _nothing_stored(keys: Collection[str]) -> dict[str, Known]:
    return {}


def build_context(source: Source, now: dt.datetime, *, stored: bool = True) -> Context:
    """The collector's view of a source; a definition that no longer validates fails here."""
    try:
        data = normalise_definition(definition_of(source))
    except DefinitionError as exc:
        problems = "；".join(f"{k}: {'，'.join(v)}" for k, v in exc.message_dict.items())
        raise CollectorError(f"监测源定义有误，请修改后再采集：{problems}"[:1000]) from exc
    config = data["config"]
    limits = config.get("rate_limit") or {}
    policy = FetchPolicy(
        timeout=float(config["timeout_seconds"]),
        max_bytes=int(config["max_bytes"]),
        max_redirects=int(config["max_redirects"]),
        delay=float(config["delay_seconds"]),
        headers=config.get("headers") or {},
        rate_limit=RateLimitRule(
            statuses=tuple(limits.get("statuses") or (429,)),
            codes=tuple(limits.get("codes") or ()),
            max_wait=float(limits.get("max_wait_seconds", 10)),
            retries=int(limits.get("retries", 2)),
            backoff=float(limits.get("backoff_seconds", 60)),
        ),
    )
    probe = source.url
    for placeholder in PLACEHOLDERS:
        probe = probe.replace(placeholder, "x")
    allowed = [probe, *(config.get("allowed_hosts") or [])]
    if (config.get("list") or {}).get("page_url"):
        allowed.append(str(config["list"]["page_url"]).replace("{page}", "1"))
    keywords = list(config.get("keywords") or [])
    if source.kind == "search" and config.get("use_watch_keywords", True):
        keywords += extra_search_keywords()
    return Context(
        source_code=source.code,
        url=source.url,
        platform=source.platform,
        config=config,
        client=HttpClient(policy, allowed),
        now=now,
        etag=source.etag,
        last_modified=source.last_modified,
        keywords=keywords,
        known=_known_lookup(source.pk) if stored else _nothing_stored,
        revisits=(
            services_threads.due_revisits(source, now)
            if stored and services_threads.follows_replies(source)
            else []
        ),
        state=dict(source.state or {}) if stored else {},
        newest_id=(
            services_threads.newest_external_id(source)
            if stored and source.kind == "json_api" and config.get("since_id")
            else ""
        ),
    )


def preview_definition(definition: Any, *, now: dt.datetime | None = None) -> Outcome:
    """What a definition would extract from the live site now: the first list page and one
    detail page (one page of a timeline, a feed's first entries), storing nothing."""
    data = normalise_definition(definition)
    _check_reachable(data["url"])
    if data["kind"] not in POLLED_KINDS:
        raise DefinitionError(
            {"kind": ["只有定时采集的类型（feed、html、json_api、search）可以试采"]}
        )
    config = dict(data["config"])
    if isinstance(config.get("list"), Mapping):
        config["list"] = {**config["list"], "max_pages": 1}
    if isinstance(config.get("pagination"), Mapping):
        config["pagination"] = {**config["pagination"], "max_pages": 1}
    if data["kind"] == "html":
        config.update(max_details=1, max_revisits=0)
    if data["kind"] == "search":
        config.update(max_keywords=1, use_watch_keywords=False)
    if data["kind"] == "feed":
        config["max_items"] = min(int(config.get("max_items", 100)), 20)
    source = Source(
        code=data["code"],
        name=data["name"],
        kind=data["kind"],
        platform=data["platform"],
        url=data["url"],
        interval_seconds=data["interval_seconds"],
        watch_interval_seconds=data["watch_interval_seconds"],
        config=config,
    )
    collector = collector_for(source.kind)
    assert collector is not None
    ctx = build_context(source, now or timezone.now(), stored=False)
    outcome = collector(ctx)
    outcome.problems.extend(ctx.client.salvage)
    return outcome


def collect_source(
    *, source_id: int, now: dt.datetime | None = None, force: bool = False
) -> CollectResult:
    """Run one collection of a polled source: fetch, parse, ingest, record. Never raises for
    the source's own trouble. Without ``force`` a source that is not due is left alone."""
    started = now or timezone.now()
    source = Source.objects.filter(pk=source_id).first()
    if source is None:
        return CollectResult(source_code=str(source_id), status="skipped", message="监测源不存在")
    collector = collector_for(source.kind)
    if collector is None:
        return CollectResult(
            source.code, "skipped", message=f"{source.get_kind_display()}不需要定时采集"
        )
    if not source.is_active and not force:
        return CollectResult(source.code, "skipped", message="监测源已停用")
    watch_active = active_watches(started).exists()
    if reason := _claim(source, started, watch_active, force):
        return CollectResult(source.code, "skipped", message=reason)
    source.refresh_from_db()
    run = SourceRun.objects.create(source=source, started_at=started)
    ctx: Context | None = None
    try:
        ctx = build_context(source, started)
        outcome = collector(ctx)
    except RateLimited as exc:
        return _rate_limited(source, run, exc, started, watch_active)
    except (FetchError, CollectorError) as exc:
        return _failed(source, run, str(exc), getattr(exc, "status", None), started, watch_active)
    except Exception as exc:  # a collector bug must not stop the other sources
        log.exception("collector for source %s crashed", source.code)
        message = f"采集程序出错（{type(exc).__name__}: {exc}），已记录日志"[:1000]
        return _failed(source, run, message, None, started, watch_active)
    try:
        before = services_threads.snapshot(source, outcome.items) if outcome.items else {}
        stored = (
            ingest_items(source=source, items=outcome.items, now=now)
            if outcome.items
            else IngestResult()
        )
        services_threads.record_followups(
            source=source,
            items=outcome.items,
            before=before,
            revisited=outcome.revisited,
            now=started,
        )
    except Exception as exc:  # the database said no: nothing of this run was stored
        log.exception("ingest for source %s failed", source.code)
        message = f"入库失败（{type(exc).__name__}: {exc}），下次采集时重试"[:1000]
        return _failed(source, run, message, outcome.http_status, started, watch_active)
    if ctx is not None:
        outcome.notes.extend(ctx.client.rate_limited)
        if ctx.client.salvage:
            outcome.problems.extend(ctx.client.salvage)
            outcome.notes.append(f"已按声明的编码读取 {len(outcome.items)} 条，个别损坏字节已替换")
    return _succeeded(source, run, outcome, stored, started, watch_active, ctx)


def run_outcome(outcome: Outcome, ctx: Context | None) -> str:
    """How a successful run is shown: 限流, 可能遗漏, 部分成功, or "" (正常)."""
    if outcome.rate_limited:
        return RATE_LIMITED
    if outcome.gap:
        return GAP
    if outcome.problems or (ctx is not None and ctx.client.salvage):
        return PARTIAL
    return ""


def _succeeded(
    source: Source,
    run: SourceRun,
    outcome: Outcome,
    stored: IngestResult,
    started: dt.datetime,
    watch_active: bool,
    ctx: Context | None = None,
) -> CollectResult:
    finished = timezone.now()
    if outcome.rate_limited:
        outcome.problems.insert(0, outcome.rate_limited)
    if outcome.gap:
        outcome.problems.insert(0, f"可能遗漏：{outcome.gap}")
    problems = "；".join(outcome.problems)[:2000]
    notes = "；".join(outcome.notes)[:1000]
    source.last_success_at = started
    source.consecutive_failures = 0
    source.next_due_at = started + dt.timedelta(seconds=effective_interval(source, watch_active))
    fields = ["last_success_at", "consecutive_failures", "next_due_at"]
    if outcome.rate_limited:
        wait = outcome.retry_after or (ctx.client.policy.rate_limit.backoff if ctx else 60.0)
        source.next_due_at = max(source.next_due_at, started + dt.timedelta(seconds=wait))
    if outcome.state is not None and outcome.state != (source.state or {}):
        source.state = outcome.state
        fields.append("state")
    if problems:
        source.last_error, source.last_error_at = problems, started
        fields += ["last_error", "last_error_at"]
    if not outcome.not_modified:
        # Partial runs forget the validators: the next run must not be answered with a 304.
        source.etag = "" if problems else outcome.etag
        source.last_modified = "" if problems else outcome.last_modified
        fields += ["etag", "last_modified"]
    source.save(update_fields=fields)
    run.finished_at = finished
    run.ok = True
    run.fetched = len(outcome.items)
    run.new_items = stored.new
    run.duplicates = stored.duplicates
    run.http_status = outcome.http_status
    run.error = "；".join(p for p in (problems, notes) if p)[:3000]
    run.outcome = run_outcome(outcome, ctx)
    run.revisited = len(outcome.revisited)
    run.save()
    status: Status = (
        "rate_limited"
        if outcome.rate_limited
        else "not_modified"
        if outcome.not_modified and not outcome.items
        else "ok"
    )
    log.info(
        "source %s: %s, %d fetched, %d new, %d duplicates, %d updated in %.1fs%s",
        source.code,
        status,
        run.fetched,
        stored.new,
        stored.duplicates,
        stored.updated,
        (finished - run.started_at).total_seconds(),
        f"; problems: {problems}" if problems else "",
    )
    return CollectResult(
        source.code,
        status,
        run_id=run.pk,
        fetched=run.fetched,
        new=stored.new,
        duplicates=stored.duplicates,
        updated=stored.updated,
        message=run.error,
    )


def backoff(source: Source, failures: int, watch_active: bool) -> dt.timedelta:
    """After ``failures`` errors in a row: the interval doubled each time, at most 6 hours."""
    seconds = effective_interval(source, watch_active) * 2 ** min(failures, 30)
    return min(dt.timedelta(seconds=seconds), MAX_BACKOFF)


def _failed(
    source: Source,
    run: SourceRun,
    message: str,
    http_status: int | None,
    started: dt.datetime,
    watch_active: bool,
) -> CollectResult:
    failures = source.consecutive_failures + 1
    source.consecutive_failures = failures
    source.last_error = message
    source.last_error_at = started
    source.next_due_at = started + backoff(source, failures, watch_active)
    source.save(
        update_fields=["consecutive_failures", "last_error", "last_error_at", "next_due_at"]
    )
    run.finished_at = timezone.now()
    run.ok = False
    run.error = message
    run.http_status = http_status
    run.save()
    log.warning(
        "source %s failed (%d in a row), next try %s: %s",
        source.code,
        failures,
        timezone.localtime(source.next_due_at).isoformat(timespec="seconds"),
        message,
    )
    return CollectResult(source.code, "failed", run_id=run.pk, message=message)


def _rate_limited(
    source: Source,
    run: SourceRun,
    exc: RateLimited,
    started: dt.datetime,
    watch_active: bool,
) -> CollectResult:
    """The site asked to slow down before anything was read: not a failure of the source or
    its definition. Wait as asked (or the rule's backoff), then resume; no failure counted."""
    policy_wait = float(((source.config or {}).get("rate_limit") or {}).get("backoff_seconds", 60))
    wait = exc.retry_after if exc.retry_after is not None else policy_wait
    interval = dt.timedelta(seconds=effective_interval(source, watch_active))
    source.next_due_at = started + max(interval, dt.timedelta(seconds=wait))
    source.last_error, source.last_error_at = str(exc), started
    source.save(update_fields=["next_due_at", "last_error", "last_error_at"])
    run.finished_at = timezone.now()
    run.ok = False
    run.outcome = RATE_LIMITED
    run.error = str(exc)
    run.http_status = exc.status
    run.save()
    log.warning("source %s rate limited, next try %s", source.code, source.next_due_at)
    return CollectResult(source.code, "rate_limited", run_id=run.pk, message=str(exc))


def collect_many(
    source_ids: list[int], *, force: bool = False, workers: int = 0
) -> list[CollectResult]:
    """Collect several sources at once in a bounded pool, so a slow site delays only itself.
    Politeness per host is the HTTP client's: at most ``HUIYING_COLLECT_PER_HOST`` requests
    in flight to one host, whichever sources they belong to. Results in the order given."""
    from concurrent.futures import ThreadPoolExecutor

    from django.conf import settings
    from django.db import connection

    workers = workers or int(getattr(settings, "HUIYING_COLLECT_WORKERS", 4))

    def one(pk: int) -> CollectResult:
        try:
            return collect_source(source_id=pk, force=force)
        finally:
            connection.close()  # this pool thread's own connection

    # Inside a transaction (a test, a caller's atomic block) other threads' connections would
    # not see its rows: collect here, one after the other.
    if workers <= 1 or len(source_ids) <= 1 or connection.in_atomic_block:
        return [collect_source(source_id=pk, force=force) for pk in source_ids]
    with ThreadPoolExecutor(max_workers=min(workers, len(source_ids))) as pool:
        return list(pool.map(one, source_ids))
