"""Notify's writes: messages from a request, deliveries out, read marks, settings, retries."""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.module_loading import import_string

from huiying.common.audit import record_event
from huiying.notify import quiet
from huiying.notify.channels import SENDERS, Outgoing, SendError, Target
from huiying.notify.defaults import DEFAULT_TEMPLATES, FALLBACK
from huiying.notify.models import (
    PERSON_CHANNELS,
    UNIT_CHANNELS,
    Channel,
    ChannelPreference,
    Delivery,
    Message,
    MessageTemplate,
)
from huiying.notify.rendering import render
from huiying.orgs.models import Membership, Unit

log = logging.getLogger("huiying.notify")

State = Delivery.State


def max_attempts() -> int:
    return int(getattr(settings, "HUIYING_NOTIFY_MAX_ATTEMPTS", 6))


def backoff(attempts: int) -> dt.timedelta:
    """30 s, 60 s, 2 min, … capped at an hour (HUIYING_NOTIFY_BACKOFF_SECONDS is the base)."""
    base = float(getattr(settings, "HUIYING_NOTIFY_BACKOFF_SECONDS", 30))
    return dt.timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), 3600))


def lease() -> dt.timedelta:
    return dt.timedelta(seconds=int(getattr(settings, "HUIYING_NOTIFY_LEASE_SECONDS", 300)))


# --- requests: recipients, wording, messages and deliveries ------------------------------------


@dataclass(frozen=True)
class Recipients:
    user_ids: list[int]
    # unit id -> the recipients found through it (robots hang on one of their messages)
    unit_users: dict[int, list[int]]


def _role_filter(roles: object) -> Q:
    if isinstance(roles, list | tuple) and roles:
        return Q(role__in=[str(r) for r in roles])
    return Q()


def resolve_recipients(spec: Mapping[str, Any]) -> Recipients:
    """Active people named by the request, each once, in a stable order."""
    User = get_user_model()
    found: set[int] = set()
    unit_users: dict[int, list[int]] = {}
    ids = [int(i) for i in spec.get("users") or [] if str(i).isdigit()]
    if ids:
        found.update(User.objects.filter(pk__in=ids, is_active=True).values_list("pk", flat=True))
    active = Membership.objects.filter(is_active=True, unit__is_active=True, user__is_active=True)
    for entry in spec.get("units") or []:
        if not isinstance(entry, Mapping) or not entry.get("code"):
            continue
        unit = Unit.objects.filter(code=str(entry["code"]), is_active=True).first()
        if unit is None:
            log.warning("notify: no active unit %r", entry.get("code"))
            continue
        users = sorted(
            set(
                active.filter(_role_filter(entry.get("roles")), unit=unit).values_list(
                    "user_id", flat=True
                )
            )
        )
        unit_users.setdefault(unit.pk, []).extend(users)
        found.update(users)
    for entry in spec.get("offices") or []:
        if not isinstance(entry, Mapping) or not entry.get("office"):
            continue
        for unit in Unit.objects.filter(office=str(entry["office"]), is_active=True):
            users = sorted(
                set(
                    active.filter(_role_filter(entry.get("roles")), unit=unit).values_list(
                        "user_id", flat=True
                    )
                )
            )
            unit_users.setdefault(unit.pk, []).extend(users)
            found.update(users)
    return Recipients(sorted(found), unit_users)


def _template(code: str) -> tuple[str, str]:
    row = MessageTemplate.objects.filter(code=code).values_list("subject", "body").first()
    if row is not None:
        return row[0], row[1]
    if code in DEFAULT_TEMPLATES:
        _, subject, body = DEFAULT_TEMPLATES[code]
        return subject, body
    return FALLBACK


def _plain_context(context: Mapping[str, Any]) -> dict[str, Any]:
    """Plain values only; ISO date-times (``*_at``) shown as local "YYYY-MM-DD HH:MM"."""
    out: dict[str, Any] = {}
    for key, value in context.items():
        if not isinstance(value, str | int | float | bool) and value is not None:
            value = str(value)
        if isinstance(value, str) and str(key).endswith("_at"):
            moment = parse_datetime(value)
            if moment is not None and timezone.is_aware(moment):
                value = timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")
        out[str(key)] = value
    return out


def safe_link(link: object) -> str:
    """Only a path on this site: no scheme, no other host."""
    text = str(link or "").strip()
    if not text.startswith("/") or text.startswith("//") or "\\" in text:
        return ""
    return text[:500]


def _initial_state(now: dt.datetime, *, urgent: bool, quiet_pref: bool) -> tuple[str, dt.datetime]:
    if not urgent and quiet_pref and quiet.is_quiet(now):
        return State.HELD, quiet.next_opening(now)
    return State.PENDING, now


def handle_request(*, payload: Mapping[str, Any], event_id: int | None = None) -> list[Message]:
    """A ``notify.request`` (see /work/notes/notify-contract.md): messages and deliveries.

    Idempotent: at most one message per (dedupe_key, person) and one delivery per (dedupe_key,
    channel, receiver), however often the same request arrives. Runs inside the caller's
    transaction (the outbox drain).
    """
    code = str(payload.get("template") or "generic")
    dedupe_key = str(payload.get("dedupe_key") or f"event:{event_id}")[:200]
    urgent = bool(payload.get("urgent"))
    raw_context = payload.get("context") or {}
    context = _plain_context(raw_context if isinstance(raw_context, Mapping) else {})
    context.setdefault("subject", code)
    context.setdefault("body", "")
    recipients = resolve_recipients(payload.get("recipients") or {})
    if not recipients.user_ids:
        log.info("notify: %s (%s) has no active recipient", code, dedupe_key)
        return []
    subject, body = render(*_template(code), context)
    now = timezone.now()
    link = safe_link(payload.get("link"))
    Message.objects.bulk_create(
        [
            Message(
                user_id=uid,
                template=code[:64],
                subject=subject or code,
                body=body,
                link=link,
                urgent=urgent,
                dedupe_key=dedupe_key,
                event_id=event_id,
                created_at=now,
            )
            for uid in recipients.user_ids
        ],
        ignore_conflicts=True,
    )
    messages = {
        m.user_id: m
        for m in Message.objects.filter(dedupe_key=dedupe_key, user_id__in=recipients.user_ids)
    }
    deliveries: list[Delivery] = []
    prefs = ChannelPreference.objects.filter(user_id__in=recipients.user_ids)
    for pref in prefs:
        uid = int(pref.user_id or 0)
        message = messages.get(uid)
        if message is None:
            continue
        for channel, address in pref.channels():
            if channel not in PERSON_CHANNELS:
                continue
            state, at = _initial_state(now, urgent=urgent, quiet_pref=pref.quiet_hours)
            deliveries.append(
                Delivery(
                    message=message,
                    channel=channel,
                    recipient_key=f"user:{uid}",
                    dedupe_key=dedupe_key,
                    address=address,
                    urgent=urgent,
                    state=state,
                    next_attempt_at=at,
                    created_at=now,
                )
            )
    unit_prefs = ChannelPreference.objects.filter(unit_id__in=list(recipients.unit_users))
    for pref in unit_prefs:
        assert pref.unit_id is not None
        hang_on = next(
            (messages[u] for u in recipients.unit_users[pref.unit_id] if u in messages),
            messages.get(recipients.user_ids[0]),
        )
        if hang_on is None:
            continue
        for channel, address in pref.channels():
            if channel not in UNIT_CHANNELS:
                continue
            state, at = _initial_state(now, urgent=urgent, quiet_pref=pref.quiet_hours)
            deliveries.append(
                Delivery(
                    message=hang_on,
                    channel=channel,
                    unit_id=pref.unit_id,
                    recipient_key=f"unit:{pref.unit_id}",
                    dedupe_key=dedupe_key,
                    address=address,
                    urgent=urgent,
                    state=state,
                    next_attempt_at=at,
                    created_at=now,
                )
            )
    if deliveries:
        Delivery.objects.bulk_create(deliveries, ignore_conflicts=True)
        transaction.on_commit(wake)
    return list(messages.values())


def wake() -> None:
    """Tell the worker there is something to deliver (the minute job catches a lost wake)."""
    path = getattr(settings, "HUIYING_NOTIFY_WAKE", "")
    if not path:
        return
    try:
        import_string(path)()
    except Exception:
        log.warning("could not wake the notify delivery", exc_info=True)


# --- delivery: claim with a lease, send outside any transaction, record the outcome ------------


def release_held(*, now: dt.datetime | None = None) -> int:
    """Held deliveries whose office hours have come go back in the queue."""
    now = now or timezone.now()
    if quiet.is_quiet(now):
        return 0
    return Delivery.objects.filter(state=State.HELD, next_attempt_at__lte=now).update(
        state=State.PENDING
    )


def _hold_quiet(now: dt.datetime) -> int:
    """At night, pending non-urgent deliveries (retries) wait for the next opening."""
    quiet_rows = Delivery.objects.filter(
        state=State.PENDING, urgent=False, next_attempt_at__lte=now
    )
    quiet_rows = quiet_rows.filter(
        Q(unit__isnull=True, message__user__notify_preference__quiet_hours=True)
        | Q(unit__notify_preference__quiet_hours=True)
    )
    ids = list(quiet_rows.values_list("pk", flat=True)[:1000])
    if not ids:
        return 0
    return Delivery.objects.filter(pk__in=ids, state=State.PENDING).update(
        state=State.HELD, next_attempt_at=quiet.next_opening(now)
    )


def claim(*, now: dt.datetime, batch: int, token: str) -> list[Delivery]:
    """Take up to ``batch`` due deliveries for this worker (token); a dead worker's lease ends.

    The claim commits before anything is sent: ``state=sending`` with the worker's token and a
    lease. A worker that dies leaves the rows to be taken again once the lease has run out.
    """
    with transaction.atomic():
        if quiet.is_quiet(now):
            _hold_quiet(now)
        due = (
            Delivery.objects.filter(
                Q(state=State.PENDING, next_attempt_at__lte=now)
                | Q(state=State.SENDING, lease_until__lt=now)
            )
            .select_related("message")
            .order_by("next_attempt_at", "id")
        )
        if connection.features.has_select_for_update_skip_locked:
            # Another worker's rows are skipped, not waited for.
            due = due.select_for_update(skip_locked=True, of=("self",))
        # On SQLite transactions are IMMEDIATE (config/env.py): claims run one after another.
        rows = list(due[:batch])
        if rows:
            Delivery.objects.filter(pk__in=[r.pk for r in rows]).update(
                state=State.SENDING,
                claim=token,
                lease_until=now + lease(),
                attempts=F("attempts") + 1,
            )
    for row in rows:
        row.state, row.claim, row.attempts = State.SENDING, token, row.attempts + 1
    return rows


def _preference(delivery: Delivery, cache: dict[str, ChannelPreference | None]) -> Any:
    if delivery.recipient_key not in cache:
        if delivery.unit_id is not None:
            found = ChannelPreference.objects.filter(unit_id=delivery.unit_id).first()
        else:
            found = ChannelPreference.objects.filter(user_id=delivery.message.user_id).first()
        cache[delivery.recipient_key] = found
    return cache[delivery.recipient_key]


def _target(delivery: Delivery, cache: dict[str, ChannelPreference | None]) -> Target | None:
    """Where to send now: the current settings, so a corrected address is used on retry."""
    pref = _preference(delivery, cache)
    if pref is None:
        return None
    current = dict(pref.channels())
    address = current.get(delivery.channel)
    if not address:
        return None
    secret = {Channel.DINGTALK: pref.dingtalk_secret, Channel.WEBHOOK: pref.webhook_secret}.get(
        delivery.channel,  # type: ignore[call-overload]
        "",
    )
    return Target(address=address, secret=secret)


def outgoing(delivery: Delivery) -> Outgoing:
    message = delivery.message
    base = str(getattr(settings, "HUIYING_NOTIFY_BASE_URL", "")).rstrip("/")
    return Outgoing(
        delivery_id=delivery.pk,
        message_key=f"huiying-{delivery.pk}",
        subject=message.subject,
        body=message.body,
        link=f"{base}{message.link}" if message.link else "",
        urgent=message.urgent,
        template=message.template,
        created_at=message.created_at.isoformat(),
    )


def _finish(delivery: Delivery, token: str, **fields: Any) -> bool:
    """Record the outcome in one statement (state and sent_at together), only if the claim is
    still ours: a worker whose lease ran out and was taken over records nothing."""
    done = Delivery.objects.filter(pk=delivery.pk, state=State.SENDING, claim=token).update(
        lease_until=None, **fields
    )
    return bool(done)


def send_one(
    delivery: Delivery, token: str, cache: dict[str, ChannelPreference | None] | None = None
) -> str:
    target = _target(delivery, {} if cache is None else cache)
    now = timezone.now()
    if target is None:
        _finish(delivery, token, state=State.FAILED, last_error="渠道已关闭或地址已删除")
        return State.FAILED
    try:
        result = SENDERS[delivery.channel](outgoing(delivery), target)
    except SendError as exc:
        now = timezone.now()
        error = str(exc)[:2000]
        if exc.retry and delivery.attempts < max_attempts():
            _finish(
                delivery,
                token,
                state=State.PENDING,
                next_attempt_at=now + backoff(delivery.attempts),
                last_error=error,
                response_code=exc.code,
            )
            log.warning("notify: delivery %s failed, retrying: %s", delivery.pk, error)
            return State.PENDING
        _finish(delivery, token, state=State.FAILED, last_error=error, response_code=exc.code)
        log.error("notify: delivery %s failed for good: %s", delivery.pk, error)
        return State.FAILED
    _finish(
        delivery,
        token,
        state=State.SENT,
        sent_at=timezone.now(),
        response_code=result.code,
        last_error="",
        address=target.address[:500],
    )
    return State.SENT


def deliver_due(
    *, limit: int = 200, batch: int = 5, worker: str = "", budget_seconds: float | None = None
) -> dict[str, int]:
    """Send what is due, ``batch`` claimed at a time; several workers may run this at once.

    Stops claiming after ``limit`` deliveries or ``budget_seconds`` (slow receivers must not
    keep one job running into the next minute's).
    """
    token = f"{worker or 'w'}-{uuid.uuid4().hex[:12]}"[:40]
    counts: dict[str, int] = {State.SENT: 0, State.PENDING: 0, State.FAILED: 0}
    stop_at = None if budget_seconds is None else time.monotonic() + budget_seconds
    release_held()
    taken = 0
    cache: dict[str, ChannelPreference | None] = {}
    while taken < limit and (stop_at is None or time.monotonic() < stop_at):
        rows = claim(now=timezone.now(), batch=min(batch, limit - taken), token=token)
        if not rows:
            break
        taken += len(rows)
        for delivery in rows:
            outcome = send_one(delivery, token, cache)
            counts[outcome] = counts.get(outcome, 0) + 1
        if len(cache) > 500:
            cache.clear()
    return {str(k): v for k, v in counts.items()}


# --- people: read marks and their own channels ------------------------------------------------


@transaction.atomic
def mark_read(*, user: Any, message_ids: Iterable[int] | None = None) -> int:
    """Mark the person's own messages read (all unread ones when no ids are given)."""
    qs = Message.objects.filter(user_id=user.pk, read_at__isnull=True)
    if message_ids is not None:
        qs = qs.filter(pk__in=list(message_ids))
    return qs.update(read_at=timezone.now())


PERSON_FIELDS = ("email_enabled", "email", "sms_enabled", "mobile", "quiet_hours")


@transaction.atomic
def preference_update(*, user: Any, data: Mapping[str, Any], actor: Any) -> ChannelPreference:
    pref, _ = ChannelPreference.objects.select_for_update().get_or_create(user=user)
    before = {f: getattr(pref, f) for f in PERSON_FIELDS}
    for field in PERSON_FIELDS:
        if field in data:
            setattr(pref, field, data[field])
    pref.full_clean()
    pref.save(update_fields=[*PERSON_FIELDS, "updated_at"])
    after = {f: getattr(pref, f) for f in PERSON_FIELDS}
    if before != after:
        record_event(
            actor=actor,
            action="notify.preference",
            object_type="notify_preference",
            object_id=pref.pk,
            before=before,
            after=after,
        )
    return pref


@transaction.atomic
def delivery_retry(*, delivery_ids: Iterable[int], actor: Any) -> int:
    """网信办 puts failed deliveries back in the queue (after fixing what made them fail)."""
    rows = list(
        Delivery.objects.select_for_update().filter(pk__in=list(delivery_ids), state=State.FAILED)
    )
    now = timezone.now()
    for row in rows:
        row.state = State.PENDING
        row.attempts = 0
        row.next_attempt_at = now
        row.last_error = ""
        row.save(update_fields=["state", "attempts", "next_attempt_at", "last_error"])
    if rows:
        record_event(
            actor=actor,
            action="notify.retry",
            object_type="notify_delivery",
            object_id=rows[0].pk,
            meta={"deliveries": [r.pk for r in rows]},
        )
        transaction.on_commit(wake)
    return len(rows)
