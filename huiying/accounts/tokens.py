"""API tokens: issued by a service, stored as a SHA-256 digest, shown to their owner once.

A key is ``hy_`` and 43 characters of ``secrets.token_urlsafe(32)`` (256 random bits). The
database keeps its digest, so reading the table (a backup, the admin, a database
administrator) yields no usable key; with that much randomness a plain SHA-256 is as good as
a slow password hash. ``prefix`` (the first 10 characters) lets a person tell his tokens apart.

A token works until it expires (HUIYING_API_TOKEN_DAYS after issue), is revoked, or its
owner's password changes (``User.password_changed_at``), and only while its owner is active.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from huiying.accounts.models import ApiToken
from huiying.common.audit import record_event
from huiying.common.errors import InvalidInput, NotAllowed

KEY_PREFIX = "hy_"
PREFIX_LENGTH = 10
NAME_MAX = 50
# A script that asks for a token on every run must not pile up thousands of live keys: past
# this many the oldest are revoked.
MAX_LIVE_TOKENS = 20
# last_used_at is a hint for people, not a log: written at most this often per token.
TOUCH_EVERY = dt.timedelta(minutes=1)


def digest_of(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def token_days() -> int:
    return max(int(settings.HUIYING_API_TOKEN_DAYS), 1)


@dataclass(frozen=True)
class IssuedToken:
    key: str  # the only time the key exists outside its owner's hands
    token: ApiToken


def live_tokens(user: Any, *, at: dt.datetime | None = None) -> QuerySet[ApiToken]:
    now = at or timezone.now()
    tokens = ApiToken.objects.filter(user=user, revoked_at__isnull=True, expires_at__gt=now)
    if user.password_changed_at is not None:
        tokens = tokens.filter(created_at__gte=user.password_changed_at)
    return tokens


def state_of(token: ApiToken, *, at: dt.datetime | None = None) -> str:
    """ "live", "revoked", "expired" or "password" (issued before the password changed)."""
    now = at or timezone.now()
    if token.revoked_at is not None:
        return "revoked"
    changed = token.user.password_changed_at
    if changed is not None and token.created_at < changed:
        return "password"
    if token.expires_at <= now:
        return "expired"
    return "live"


def _audit_fields(token: ApiToken) -> dict[str, Any]:
    return {
        "token_id": token.pk,
        "name": token.name,
        "prefix": token.prefix,
        "expires_at": token.expires_at,
        "two_factor": token.two_factor,
    }


@transaction.atomic
def token_issue(*, user: Any, name: str, two_factor: bool, actor: Any, via: str) -> IssuedToken:
    """A new token for ``user``; ``via`` says where it was asked for ("page" or "api").

    ``two_factor`` is true only when the request that asks for it passed a one-time code (or
    comes from a session that did). Audited; the key itself is never logged.
    """
    name = name.strip()
    if not name:
        raise InvalidInput("请填写令牌名称，例如对接系统的名称。")
    if len(name) > NAME_MAX:
        raise InvalidInput(f"令牌名称不能超过 {NAME_MAX} 个字符。")
    if not user.is_active:
        raise NotAllowed("账号已停用，不能获取令牌。")
    now = timezone.now()
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=key[:PREFIX_LENGTH],
        digest=digest_of(key),
        two_factor=two_factor,
        created_at=now,
        expires_at=now + dt.timedelta(days=token_days()),
    )
    record_event(
        actor=actor,
        action="api_token.issue",
        object_type="user",
        object_id=user.pk,
        after=_audit_fields(token),
        meta={"via": via},
    )
    surplus = list(live_tokens(user, at=now).order_by("-created_at", "-id")[MAX_LIVE_TOKENS:])
    for old in surplus:
        token_revoke(token=old, actor=actor, reason=ApiToken.Reason.LIMIT)
    return IssuedToken(key=key, token=token)


@transaction.atomic
def token_revoke(*, token: ApiToken, actor: Any, reason: str) -> bool:
    """Revoke one token; False when it was revoked already (nothing written)."""
    locked = ApiToken.objects.select_for_update().get(pk=token.pk)
    if locked.revoked_at is not None:
        return False
    locked.revoked_at = timezone.now()
    locked.revoked_reason = reason
    locked.save(update_fields=["revoked_at", "revoked_reason"])
    token.revoked_at, token.revoked_reason = locked.revoked_at, locked.revoked_reason
    record_event(
        actor=actor,
        action="api_token.revoke",
        object_type="user",
        object_id=locked.user_id,
        after=_audit_fields(locked),
        reason=str(ApiToken.Reason(reason).label),
    )
    return True


@transaction.atomic
def tokens_revoke_all(*, user: Any, actor: Any, reason: str) -> int:
    """Revoke every token of ``user`` not yet revoked (one event each); how many."""
    tokens = list(ApiToken.objects.filter(user=user, revoked_at__isnull=True))
    return sum(token_revoke(token=t, actor=actor, reason=reason) for t in tokens)


def token_touch(token: ApiToken) -> None:
    """Note that a token was used. Not audited: the access log is the web server's."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= TOUCH_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


def token_for_key(key: str) -> ApiToken | None:
    return ApiToken.objects.select_related("user").filter(digest=digest_of(key)).first()


def own_token(user: Any, token_id: int) -> ApiToken | None:
    """One of this person's tokens; another person's token does not exist for him."""
    return ApiToken.objects.select_related("user").filter(user=user, pk=token_id).first()


def tokens_of(user: Any, *, limit: int = 50) -> list[ApiToken]:
    return list(ApiToken.objects.select_related("user").filter(user=user)[:limit])
