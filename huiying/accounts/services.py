"""Writes to user accounts, audited like every other change."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from huiying.accounts.models import ApiToken
from huiying.accounts.tokens import tokens_revoke_all
from huiying.common.audit import record_event
from huiying.common.errors import InvalidInput
from huiying.orgs.models import Membership, Unit
from huiying.orgs.services import membership_grant

# What the log keeps of an account. Never the password hash: only that it changed.
LOGGED_FIELDS = ("username", "full_name", "phone", "is_active", "is_staff", "is_superuser")


def _check_identity(User: Any, username: str, full_name: str) -> None:
    problems: list[str] = []
    if not username or len(username) > 150:
        problems.append("用户名长度应为 1 至 150 个字符")
    else:
        try:
            User.username_validator(username)
        except ValidationError:
            problems.append("用户名只能包含字母、数字和 @ . + - _")
    if not full_name.strip():
        problems.append("请填写姓名")
    if problems:
        raise InvalidInput("；".join(problems) + "。")
    if User.objects.filter(username__iexact=username).exists():
        raise InvalidInput(f"用户名“{username}”已存在。")


@transaction.atomic
def user_create(
    *,
    username: str,
    full_name: str,
    password: str,
    memberships: Sequence[tuple[Unit, str]] = (),
    phone: str = "",
    is_staff: bool = False,
    is_superuser: bool = False,
    actor: Any | None = None,
) -> Any:
    """Create an account (password hashed with the configured hasher, Argon2) and its roles.

    ``memberships`` are (unit, role) pairs (R8.3: leader, spokesperson, handler, ...). The
    password must pass the configured validators. Everything is audited; any problem
    raises InvalidInput and nothing is written.
    """
    User = get_user_model()
    _check_identity(User, username, full_name)
    for _unit, role in memberships:
        if role not in Membership.Role.values:
            raise InvalidInput(f"未知角色：{role}")
    user = User(
        username=username,
        full_name=full_name.strip(),
        phone=phone,
        is_staff=is_staff,
        is_superuser=is_superuser,
    )
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise InvalidInput("密码不符合要求：" + "；".join(exc.messages)) from exc
    user.set_password(password)
    user.save(force_insert=True)
    record_event(
        actor=actor,
        action="user.create",
        object_type="user",
        object_id=user.pk,
        after={f: getattr(user, f) for f in LOGGED_FIELDS},
    )
    for unit, role in memberships:
        membership_grant(user=user, unit=unit, role=role, actor=actor)
    return user


@transaction.atomic
def record_user_change(
    *, user: Any, changed: Iterable[str], created: bool, actor: Any | None = None
) -> None:
    """Log an account change made by a form (the admin) that saved it itself."""
    changed = list(changed)
    logged = [f for f in changed if f in LOGGED_FIELDS]
    password_changed = bool({"password", "password1", "password2"} & set(changed))
    if not (created or logged or password_changed):
        return
    record_event(
        actor=actor,
        action="user.create" if created else "user.update",
        object_type="user",
        object_id=user.pk,
        after={f: getattr(user, f) for f in (LOGGED_FIELDS if created else logged)},
        meta={"password_changed": True} if password_changed else {},
    )
    if password_changed and not created:
        tokens_revoke_all(user=user, actor=actor, reason=ApiToken.Reason.PASSWORD)


@transaction.atomic
def password_change(*, user: Any, old_password: str, new_password: str) -> int:
    """A person changes his own password; every API token of his dies with the old one.

    His other browser sessions end too: Django checks each session against the password
    hash it was opened with (the caller keeps the current one with update_session_auth_hash).
    Returns how many tokens were revoked. Audited (never the password).
    """
    if not user.check_password(old_password):
        raise InvalidInput("原密码不正确。")
    if old_password == new_password:
        raise InvalidInput("新密码不能与原密码相同。")
    try:
        validate_password(new_password, user)
    except ValidationError as exc:
        raise InvalidInput("密码不符合要求：" + "；".join(exc.messages)) from exc
    user.set_password(new_password)
    user.save(update_fields=["password"])
    revoked = tokens_revoke_all(user=user, actor=user, reason=ApiToken.Reason.PASSWORD)
    record_event(
        actor=user,
        action="user.password_change",
        object_type="user",
        object_id=user.pk,
        meta={"tokens_revoked": revoked},
    )
    return revoked
