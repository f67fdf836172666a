"""Two-factor sign-in: who must use it, enrolment, the code check, recovery codes, reset.

A person with a TwoFactorDevice signs in with his password and then a one-time code from his
authenticator (or one of his recovery codes); only then is he logged in. Whoever holds a role
named in HUIYING_2FA_REQUIRED_ROLES and has no device is sent to enrolment before anything
else (huiying/accounts/middleware.py), and gets no API token.

Failed codes count as failed logins for django-axes (the views send ``user_login_failed``),
so guessing codes meets the same lock-out as guessing passwords.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.utils import timezone

from huiying.accounts import totp
from huiying.accounts.models import RecoveryCode, TwoFactorDevice
from huiying.accounts.roles import principal_for
from huiying.common.audit import record_event
from huiying.common.errors import InvalidInput, NotAllowed
from huiying.orgs.models import Membership

RECOVERY_CODES = 10
# No 0/o, 1/l/i: a code is read off paper. 31 letters ** 10 = about 49 bits per code.
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
RECOVERY_LENGTH = 10
SPECIAL_ROLES = {"all", "admin", "reviewer"}


def required_roles() -> set[str]:
    return {r.strip().lower() for r in settings.HUIYING_2FA_REQUIRED_ROLES if r.strip()}


def two_factor_required(user: Any) -> bool:
    """Must this person sign in with a one-time code (HUIYING_2FA_REQUIRED_ROLES)?"""
    roles = required_roles()
    if not roles or not getattr(user, "is_authenticated", False):
        return False
    if "all" in roles:
        return True
    if "admin" in roles and (user.is_staff or user.is_superuser):
        return True
    if "reviewer" in roles and principal_for(user).is_cac_reviewer:
        return True
    unit_roles = roles - SPECIAL_ROLES
    return bool(unit_roles) and (
        Membership.objects.filter(
            user_id=user.pk, is_active=True, unit__is_active=True, role__in=sorted(unit_roles)
        ).exists()
    )


def has_two_factor(user: Any) -> bool:
    return TwoFactorDevice.objects.filter(user_id=user.pk).exists()


def recovery_codes_left(user: Any) -> int:
    return RecoveryCode.objects.filter(user_id=user.pk, used_at__isnull=True).count()


def _clean_recovery(text: str) -> str:
    return totp.clean_code(text).lower()


def _new_recovery_codes(user: Any) -> list[str]:
    """Replace the person's recovery codes; the plain codes are returned once, never stored."""
    RecoveryCode.objects.filter(user_id=user.pk).delete()
    codes = [
        "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
        for _ in range(RECOVERY_CODES)
    ]
    RecoveryCode.objects.bulk_create(
        [RecoveryCode(user_id=user.pk, code_hash=make_password(code)) for code in codes]
    )
    return [f"{c[:5]}-{c[5:]}" for c in codes]


@transaction.atomic
def two_factor_enrol(*, user: Any, secret: str, code: str) -> list[str]:
    """Turn on two-factor sign-in with ``secret`` once ``code`` proves the app holds it.

    Returns the new recovery codes (shown once). Audited.
    """
    if TwoFactorDevice.objects.select_for_update().filter(user_id=user.pk).exists():
        raise InvalidInput("您已启用两步验证。")
    step = totp.matching_step(secret, code, at=timezone.now())
    if step is None:
        raise InvalidInput("验证码不正确：请输入验证器上当前显示的 6 位数字，并确认手机时间准确。")
    device = TwoFactorDevice.objects.create(user_id=user.pk, secret=secret, last_step=step)
    codes = _new_recovery_codes(user)
    record_event(
        actor=user,
        action="two_factor.enrol",
        object_type="user",
        object_id=user.pk,
        after={"enabled_at": device.confirmed_at, "recovery_codes": len(codes)},
    )
    return codes


@dataclass(frozen=True)
class CodeCheck:
    ok: bool
    kind: str = ""  # "totp" or "recovery" when ok
    replayed: bool = False  # a TOTP code that already opened a sign-in


@transaction.atomic
def two_factor_check(*, user: Any, code: str) -> CodeCheck:
    """Check a one-time code or a recovery code for ``user``; each works once.

    A used recovery code is spent and audited. The caller counts a failure against the
    lock-out.
    """
    device = TwoFactorDevice.objects.select_for_update().filter(user_id=user.pk).first()
    if device is None:
        return CodeCheck(ok=False)
    if totp.looks_like_code(code):
        step = totp.matching_step(device.secret, code, at=timezone.now())
        if step is None:
            return CodeCheck(ok=False)
        if step <= device.last_step:
            return CodeCheck(ok=False, replayed=True)
        device.last_step = step
        device.save(update_fields=["last_step"])
        return CodeCheck(ok=True, kind="totp")
    cleaned = _clean_recovery(code)
    if len(cleaned) != RECOVERY_LENGTH:
        return CodeCheck(ok=False)
    unused = RecoveryCode.objects.select_for_update().filter(user_id=user.pk, used_at__isnull=True)
    for recovery in unused:
        if check_password(cleaned, recovery.code_hash):
            recovery.used_at = timezone.now()
            recovery.save(update_fields=["used_at"])
            left = recovery_codes_left(user)
            record_event(
                actor=user,
                action="two_factor.recovery_code_use",
                object_type="user",
                object_id=user.pk,
                after={"recovery_codes_left": left},
            )
            return CodeCheck(ok=True, kind="recovery")
    return CodeCheck(ok=False)


class WrongCode(InvalidInput):
    """A code that did not check out; the caller counts it against the lock-out."""


@transaction.atomic
def recovery_codes_regenerate(*, user: Any, code: str) -> list[str]:
    """A fresh set of recovery codes (with a current code); the old ones stop working. Audited."""
    if not has_two_factor(user):
        raise InvalidInput("尚未启用两步验证。")
    if not two_factor_check(user=user, code=code).ok:
        raise WrongCode("验证码不正确。")
    codes = _new_recovery_codes(user)
    record_event(
        actor=user,
        action="two_factor.recovery_codes_regenerate",
        object_type="user",
        object_id=user.pk,
        after={"recovery_codes": len(codes)},
    )
    return codes


@transaction.atomic
def two_factor_disable(*, user: Any, code: str) -> None:
    """The person turns two-factor sign-in off (with a current code), unless it is required."""
    if two_factor_required(user):
        raise NotAllowed("您的角色必须使用两步验证，不能关闭。")
    if not two_factor_check(user=user, code=code).ok:
        raise WrongCode("验证码不正确。")
    _remove(user)
    record_event(actor=user, action="two_factor.disable", object_type="user", object_id=user.pk)


@transaction.atomic
def two_factor_reset(*, user: Any, actor: Any, reason: str) -> bool:
    """An administrator clears a person's authenticator (a lost phone). Audited with why.

    The person enrols again at his next sign-in (at once if his role requires it). False
    when he had none.
    """
    reason = reason.strip()
    if not reason:
        raise InvalidInput("请说明重置两步验证的原因。")
    had = has_two_factor(user)
    if not had:
        return False
    _remove(user)
    record_event(
        actor=actor,
        action="two_factor.reset",
        object_type="user",
        object_id=user.pk,
        reason=reason,
    )
    return True


def _remove(user: Any) -> None:
    TwoFactorDevice.objects.filter(user_id=user.pk).delete()
    RecoveryCode.objects.filter(user_id=user.pk).delete()
