"""`huiying demo`: the product with a demo city on the embedded SQLite database.

migrate → Nantong directory → demo people of every role → demo forms in every status (all
through the services, so `huiying audit verify` passes) → print the logins. With --serve,
also start the local imitation message board, Weibo feed, news feed and search page, load the
demo sources that poll them, and serve like `huiying serve`, the worker in-process. Running it again changes nothing;
--reset deletes the SQLite database under var/ and starts over.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections
from django.utils import timezone

from huiying.cases.models import Status
from huiying.common.management.commands._database import require_database
from huiying.common.management.commands._runtime import serve
from huiying.demo.builder import DemoResult, build_demo
from huiying.demo.people import DEMO_PASSWORD, DEMO_TOTP_SECRET


def allow_loopback_sources() -> None:
    """The demo's imitation sites are on 127.0.0.1, a network sources may not reach by default
    (huiying/monitoring/egress.py); this process, and only it, is allowed to."""
    allowed = list(settings.HUIYING_SOURCE_ALLOWED_NETWORKS)
    for net in ("127.0.0.0/8", "::1/128"):
        if net not in allowed:
            allowed.append(net)
    settings.HUIYING_SOURCE_ALLOWED_NETWORKS = allowed


class Command(BaseCommand):
    help = "演示：建库、导入南通市单位目录、创建各角色演示账号和各状态的演示交办单；--serve 随后启动服务。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--serve", action="store_true", help="建好演示数据后启动网页服务和后台队列"
        )
        parser.add_argument(
            "--reset", action="store_true", help="删除 var/ 下的 SQLite 数据库，重新建立演示数据"
        )
        parser.add_argument("--host", default="127.0.0.1", help="监听地址（默认 127.0.0.1）")
        parser.add_argument("--port", type=int, default=8000, help="监听端口（默认 8000）")
        parser.add_argument(
            "--no-sites",
            action="store_true",
            help="不启动本地模拟留言板和微博（默认随 --serve 启动，供实时采集演示）",
        )
        parser.add_argument(
            "--otp",
            metavar="USER",
            help="显示演示账号当前的两步验证码（只对使用演示密钥的账号有效）",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["otp"]:
            self.show_code(options["otp"])
            return
        if options["reset"]:
            self.reset()
        self.stdout.write("正在准备数据库……")
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("正在建立演示数据（单位目录、演示账号、交办单）……")
        result = build_demo()
        self.report(result)
        if not options["serve"]:
            self.stdout.write(
                f"运行 `huiying demo --serve`（或 `make demo`）启动服务后，"
                f"在浏览器打开 http://{options['host']}:{options['port']}/ 登录。"
            )
            return
        cleanups: list[Callable[[], None]] = []
        if not options["no_sites"]:
            allow_loopback_sources()
            stop = self.start_sites()
            if stop is not None:
                cleanups.append(stop)

        def ready(url: str) -> None:
            self.stdout.write(
                self.style.SUCCESS(f"\n请在浏览器打开 {url}/ ，用上表任一账号登录。\n")
            )

        serve(
            host=options["host"],
            port=options["port"],
            worker=True,
            out=self.stdout,
            on_ready=ready,
            cleanups=cleanups,
        )

    # --- reset -----------------------------------------------------------------------------

    def reset(self) -> None:
        db = settings.DATABASES["default"]
        if db["ENGINE"] != "django.db.backends.sqlite3":
            raise CommandError(
                "--reset 只用于内置的 SQLite 数据库；PostgreSQL 数据库请由管理员清理。"
            )
        path = Path(str(db["NAME"])).resolve()
        allowed = {Path(settings.VAR_DIR).resolve(), (Path(settings.BASE_DIR) / "var").resolve()}
        if not any(path.is_relative_to(folder) for folder in allowed):
            raise CommandError(f"--reset 只删除 var/ 下的 SQLite 文件，{path} 不在其中。")
        connections.close_all()
        removed = []
        for suffix in ("", "-wal", "-shm", "-journal"):
            candidate = path.with_name(path.name + suffix)
            if candidate.exists():
                candidate.unlink()
                removed.append(candidate.name)
        # The queue file stays open in this process (huey opened it at start-up): empty it
        # instead of deleting it, so no task of the old demo runs against the new one.
        from huey.contrib.djhuey import HUEY

        if not HUEY.immediate:
            HUEY.flush()
        self.stdout.write(
            f"已删除演示数据库：{'、'.join(removed) or '（原本不存在）'}；已清空任务队列。"
        )
        self.archive_checkpoints(allowed)

    def archive_checkpoints(self, allowed: set[Path]) -> None:
        """The old demo's audit checkpoints would make the new demo's chain look truncated."""
        path = Path(settings.HUIYING_AUDIT_CHECKPOINT_FILE).resolve()
        if not path.exists() or not any(path.is_relative_to(folder) for folder in allowed):
            return
        archived = path.with_name(f"{path.name}.{timezone.now():%Y%m%d%H%M%S}.old")
        path.rename(archived)
        self.stdout.write(f"旧演示数据的审计检查点已移至 {archived.name}。")

    # --- output ----------------------------------------------------------------------------

    def report(self, result: DemoResult) -> None:
        if result.created:
            total = sum(result.forms_by_status.values())
            self.stdout.write(
                self.style.SUCCESS(
                    f"演示数据已建立：{total} 份交办单，{result.events} 条审计事件。"
                )
            )
        else:
            self.stdout.write("演示数据已存在，未作改动（--reset 可重新建立）。")
        labels = dict(Status.choices)
        counts = "，".join(f"{labels[s]} {n}" for s, n in result.forms_by_status.items() if n)
        self.stdout.write(f"交办单状态：{counts}")
        self.stdout.write("")
        self.stdout.write(f"演示账号（仅供演示，密码均为 {DEMO_PASSWORD}）：")
        rows: list[tuple[str, ...]] = [("用户名", "姓名", "职责", "密码")]
        rows += [(p.username, p.full_name, p.duty, DEMO_PASSWORD) for p in result.people]
        for line in table(rows):
            self.stdout.write(line)
        self.report_two_factor([p.username for p in result.people])

    def report_two_factor(self, usernames: list[str]) -> None:
        from huiying.accounts.models import TwoFactorDevice

        enrolled = list(
            TwoFactorDevice.objects.filter(
                user__username__in=usernames, secret=DEMO_TOTP_SECRET
            ).values_list("user__username", flat=True)
        )
        if not enrolled:
            return
        names = "、".join(sorted(enrolled))
        self.stdout.write("")
        self.stdout.write(
            f"两步验证：{names} 登录时还须输入动态验证码。演示验证器密钥均为 {DEMO_TOTP_SECRET}"
            "（仅供演示），可在手机验证器中“手动输入密钥”添加；"
            "或运行 `huiying demo --otp 用户名` 查看当前验证码。"
        )

    def show_code(self, username: str) -> None:
        from django.utils import timezone

        from huiying.accounts import totp
        from huiying.accounts.models import TwoFactorDevice

        require_database()
        device = TwoFactorDevice.objects.filter(user__username=username).first()
        if device is None or device.secret != DEMO_TOTP_SECRET:
            # Only the published demo secret: a real account's codes are never printed.
            raise CommandError(f"{username} 不是使用演示密钥的两步验证账号。")
        now = timezone.now()
        left = totp.STEP_SECONDS - int(now.timestamp()) % totp.STEP_SECONDS
        self.stdout.write(f"{totp.code_at(DEMO_TOTP_SECRET, now)}（{left} 秒内有效）")

    def start_sites(self) -> Callable[[], None] | None:
        from huiying.demo.sites import start_sites

        try:
            started = start_sites()
        except Exception as exc:  # the demo still serves without live collection
            self.stderr.write(f"本地模拟站点未能启动：{exc}")
            return None
        for line in started.lines:
            self.stdout.write(line)
        return started.stop


def _width(text: str) -> int:
    # Chinese characters take two columns in a terminal.
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def table(rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(_width(row[i]) for row in rows) for i in range(len(rows[0]))]

    def line(row: Sequence[str]) -> str:
        cells = (cell + " " * (w - _width(cell)) for cell, w in zip(row, widths, strict=True))
        return "  ".join(cells).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return [line(rows[0]), rule, *(line(r) for r in rows[1:])]
