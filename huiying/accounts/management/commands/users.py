"""`huiying users create USERNAME --full-name 姓名 [--role UNIT:ROLE ...]`, `users grant`, and
`users reset-2fa USERNAME --reason 原因` (an administrator who lost his phone cannot reach the
admin's reset button).

The password is asked for on the terminal, or read from the first line of standard input with
--password-stdin (for scripts); it is never an argument, which would leave it in the shell
history and the process list.
"""

from __future__ import annotations

import getpass
import sys
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from huiying.accounts.services import user_create
from huiying.accounts.twofactor import two_factor_reset
from huiying.common.errors import DomainError
from huiying.common.management.commands._database import require_database
from huiying.orgs.models import Membership, Unit
from huiying.orgs.services import membership_grant

ROLE_HELP = "UNIT:ROLE，ROLE 为 " + " / ".join(Membership.Role.values)


def parse_role(text: str) -> tuple[Unit, str]:
    code, sep, role = text.rpartition(":")
    if not sep or not code or role not in Membership.Role.values:
        raise CommandError(f"角色格式应为 {ROLE_HELP}：{text}")
    unit = Unit.objects.filter(code=code, is_active=True).first()
    if unit is None:
        raise CommandError(f"找不到启用的单位：{code}")
    return unit, role


class Command(BaseCommand):
    help = "创建用户并分配角色：users create USERNAME --full-name 姓名 [--role UNIT:ROLE]…"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="op", required=True)
        create = sub.add_parser("create", help="创建用户")
        create.add_argument("username")
        create.add_argument("--full-name", required=True)
        create.add_argument("--phone", default="")
        create.add_argument("--role", action="append", default=[], help=ROLE_HELP)
        create.add_argument("--staff", action="store_true", help="可登录管理后台")
        create.add_argument("--superuser", action="store_true", help="超级管理员")
        create.add_argument("--password-stdin", action="store_true", help="从标准输入读取密码")
        grant = sub.add_parser("grant", help="给已有用户分配角色")
        grant.add_argument("username")
        grant.add_argument("role", nargs="+", help=ROLE_HELP)
        reset = sub.add_parser("reset-2fa", help="重置两步验证（手机丢失时），下次登录须重新绑定")
        reset.add_argument("username")
        reset.add_argument("--reason", required=True, help="原因，记入审计日志")

    def handle(self, *args: Any, **options: Any) -> None:
        require_database()
        try:
            if options["op"] == "create":
                self._create(options)
            elif options["op"] == "reset-2fa":
                self._reset_two_factor(options["username"], options["reason"])
            else:
                self._grant(options["username"], options["role"])
        except DomainError as exc:
            raise CommandError(exc.message) from exc

    def _create(self, options: dict[str, Any]) -> None:
        roles = [parse_role(r) for r in options["role"]]
        user = user_create(
            username=options["username"],
            full_name=options["full_name"],
            password=self._password(options["password_stdin"]),
            memberships=roles,
            phone=options["phone"],
            is_staff=options["staff"] or options["superuser"],
            is_superuser=options["superuser"],
        )
        self.stdout.write(f"已创建用户 {user.username}（{user}），角色 {len(roles)} 个")

    def _grant(self, username: str, roles: list[str]) -> None:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"找不到用户：{username}")
        for unit, role in (parse_role(r) for r in roles):
            membership_grant(user=user, unit=unit, role=role)
            self.stdout.write(f"{user}：{unit.name} · {Membership.Role(role).label}")

    def _reset_two_factor(self, username: str, reason: str) -> None:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"找不到用户：{username}")
        if two_factor_reset(user=user, actor=None, reason=reason):
            self.stdout.write(f"已重置 {user} 的两步验证；下次登录时须重新绑定验证器。")
        else:
            self.stdout.write(f"{user} 未启用两步验证，无需重置。")

    def _password(self, from_stdin: bool) -> str:
        if from_stdin:
            return sys.stdin.readline().rstrip("\n")
        if not sys.stdin.isatty():
            raise CommandError("非交互环境请用 --password-stdin 提供密码。")
        first = getpass.getpass("密码：")
        if first != getpass.getpass("再次输入密码："):
            raise CommandError("两次输入的密码不一致。")
        return first
