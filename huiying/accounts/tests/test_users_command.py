from __future__ import annotations

import io
import sys
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from huiying.accounts.models import User
from huiying.orgs.models import Membership

pytestmark = pytest.mark.django_db


def run(*args: str, stdin: str = "") -> str:
    out = io.StringIO()
    real = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        call_command("users", *args, stdout=out)
    finally:
        sys.stdin = real
    return out.getvalue()


def test_create_with_roles_from_stdin_password(city: Any) -> None:
    out = run(
        "create",
        "liwei",
        "--full-name",
        "李伟",
        "--role",
        "nt-zjj:handler",
        "--role",
        "cc:monitor",
        "--password-stdin",
        stdin="Str0ng-pass-2026\n",
    )
    assert "已创建用户 liwei（李伟），角色 2 个" in out
    user = User.objects.get(username="liwei")
    assert user.check_password("Str0ng-pass-2026")
    assert set(Membership.objects.filter(user=user).values_list("unit__code", "role")) == {
        ("nt-zjj", "handler"),
        ("cc", "monitor"),
    }


def test_grant_adds_roles(city: Any) -> None:
    out = run("grant", "outsider", "hm:spokesperson")
    assert "海门区人民政府" in out
    assert Membership.objects.filter(user=city.outsider, unit=city.other_district).exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["create", "x", "--full-name", "某", "--role", "nowhere:handler", "--password-stdin"],
            "找不到启用的单位",
        ),
        (["create", "x", "--full-name", "某", "--role", "cc:king", "--password-stdin"], "角色格式"),
        (["create", "x", "--full-name", "某", "--password-stdin"], "密码不符合要求"),
        (["create", "x", "--full-name", "某"], "--password-stdin"),
        (["grant", "nobody", "cc:handler"], "找不到用户"),
    ],
)
def test_bad_input_is_refused(city: Any, args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        run(*args, stdin="123\n")
    assert not User.objects.filter(username="x").exists()
