"""Two-factor sign-in (TOTP, RFC 6238): enrolment, the code step, recovery codes, the lock-out,
the roles that must use it, the API, and the administrator's reset."""

from __future__ import annotations

import datetime as dt
import re
from io import StringIO
from typing import Any

import pytest
import time_machine
from axes.models import AccessAttempt
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client, override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from huiying.accounts import totp
from huiying.accounts.lockout import failure_limit
from huiying.accounts.models import ApiToken, RecoveryCode, TwoFactorDevice
from huiying.accounts.tokens import token_issue
from huiying.accounts.twofactor import two_factor_enrol, two_factor_required
from huiying.common.models import AuditEvent

pytestmark = pytest.mark.django_db
PASSWORD = "pass-1234-word"  # the factories' password
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
START = dt.datetime(2026, 11, 2, 1, 0, 5, tzinfo=dt.UTC)
REQUIRED = override_settings(HUIYING_2FA_REQUIRED_ROLES=["reviewer", "admin"])


def at(seconds: float = 0) -> Any:
    return time_machine.travel(START + dt.timedelta(seconds=seconds), tick=False)


def code(offset_s: float = 0) -> str:
    return totp.code_at(SECRET, START + dt.timedelta(seconds=offset_s))


def wrong_codes(n: int) -> list[str]:
    """Codes that are not right at START, nor half a minute either side of it."""
    near = {code(-30), code(), code(30)}
    return [c for c in (f"{i:06d}" for i in range(1, n + 4)) if c not in near][:n]


def enrol(user: Any) -> list[str]:
    """Enrolled at START - 60 s, so that codes from START on are fresh."""
    with at(-60):
        return two_factor_enrol(user=user, secret=SECRET, code=code(-60))


def password_step(username: str, ip: str = "10.0.0.1", next_url: str = "") -> tuple[Client, Any]:
    client = Client(REMOTE_ADDR=ip)
    data = {"username": username, "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    return client, client.post("/accounts/login/", data)


def code_step(client: Client, value: str) -> Any:
    return client.post("/accounts/login/verify/", {"code": value})


def signed_in_user(client: Client) -> Any:
    return client.get("/inbox/").wsgi_request.user


# --- the rule ------------------------------------------------------------------------------------


def test_who_must_use_it_follows_the_setting(city: Any, admin_user: Any, settings: Any) -> None:
    settings.HUIYING_2FA_REQUIRED_ROLES = ["reviewer", "admin"]
    assert two_factor_required(city.reviewer)
    assert two_factor_required(admin_user)
    assert not two_factor_required(city.monitor)
    assert not two_factor_required(city.housing_handler)
    settings.HUIYING_2FA_REQUIRED_ROLES = ["handler"]
    assert two_factor_required(city.housing_handler) and not two_factor_required(city.reviewer)
    settings.HUIYING_2FA_REQUIRED_ROLES = ["all"]
    assert two_factor_required(city.outsider)
    settings.HUIYING_2FA_REQUIRED_ROLES = []
    assert not two_factor_required(admin_user)


def test_the_shipped_default_is_reviewers_and_administrators() -> None:
    from pathlib import Path

    from config import settings as project_settings

    assert project_settings.HUIYING_2FA_REQUIRED_ROLES == ["reviewer", "admin"]
    example = (Path(project_settings.BASE_DIR) / ".env.example").read_text()
    assert "HUIYING_2FA_REQUIRED_ROLES=reviewer,admin" in example


# --- enrolment -------------------------------------------------------------------------------------


def test_enrolment_shows_a_local_qr_code_and_the_secret_then_needs_a_right_code(
    city: Any,
) -> None:
    client = Client()
    client.force_login(city.monitor)
    page = client.get("/accounts/two-factor/enrol/")
    body = page.content.decode()
    assert page.status_code == 200
    assert "<svg" in body and "<path" in body  # drawn here, nothing fetched
    assert not re.search(r"""<(img|script)[^>]+src=["']https?://""", body)
    secret = client.session["huiying_2fa_enrol_secret"]
    assert len(secret) == 32 and totp.spaced(secret) in body
    assert "启用两步验证" in body and "手动输入密钥" in body
    # The same secret until enrolment is done (a reload does not change the QR code).
    client.get("/accounts/two-factor/enrol/")
    assert client.session["huiying_2fa_enrol_secret"] == secret

    wrong = client.post("/accounts/two-factor/enrol/", {"code": "000000"})
    assert "验证码不正确" in wrong.content.decode()
    assert not TwoFactorDevice.objects.exists()

    done = client.post(
        "/accounts/two-factor/enrol/", {"code": totp.code_at(secret, timezone.now())}
    )
    text = done.content.decode()
    assert "两步验证已启用" in text and "只显示这一次" in text
    shown = re.findall(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>", text)
    assert len(shown) == 10
    device = TwoFactorDevice.objects.get(user=city.monitor)
    assert device.secret == secret
    # Recovery codes are stored hashed only.
    hashes = list(
        RecoveryCode.objects.filter(user=city.monitor).values_list("code_hash", flat=True)
    )
    assert len(hashes) == 10 and not any(c.replace("-", "") in h for c in shown for h in hashes)
    event = AuditEvent.objects.get(action="two_factor.enrol")
    assert event.actor_id == city.monitor.pk and event.after["recovery_codes"] == 10
    assert secret not in repr(event.after) + repr(event.meta)
    assert "huiying_2fa_enrol_secret" not in client.session


# --- signing in ------------------------------------------------------------------------------------


def test_an_enrolled_person_is_not_signed_in_until_the_code(city: Any) -> None:
    enrol(city.monitor)
    with at(0):
        client, response = password_step("monitor", next_url="/search/")
        assert response.status_code == 302 and response["Location"] == "/accounts/login/verify/"
        assert not signed_in_user(client).is_authenticated
        page = client.get("/accounts/login/verify/").content.decode()
        assert "两步验证" in page and 'autocomplete="one-time-code"' in page
        done = code_step(client, code())
        assert done.status_code == 302 and done["Location"] == "/search/"
        assert signed_in_user(client) == city.monitor


def test_a_wrong_code_is_refused_and_a_code_works_only_once(city: Any) -> None:
    enrol(city.monitor)
    with at(0):
        client, _ = password_step("monitor")
        wrong = code_step(client, wrong_codes(1)[0])
        assert "验证码不正确" in wrong.content.decode()
        assert not signed_in_user(client).is_authenticated
        assert code_step(client, code()).status_code == 302
        # Someone who saw the code over the shoulder, within the same half minute:
        thief, _ = password_step("monitor", ip="10.0.0.2")
        replay = code_step(thief, code())
        assert "已经用过" in replay.content.decode()
        assert not signed_in_user(thief).is_authenticated
    with at(30):
        assert code_step(thief, code(30)).status_code == 302


def test_a_phone_half_a_minute_off_still_signs_in(city: Any) -> None:
    enrol(city.monitor)
    with at(0):
        client, _ = password_step("monitor")
        assert code_step(client, code(-30)).status_code == 302
    with at(60):
        late, _ = password_step("monitor")
        assert "验证码不正确" in code_step(late, code(-30)).content.decode()


def test_the_code_step_expires(city: Any) -> None:
    enrol(city.monitor)
    with at(0):
        client, _ = password_step("monitor")
    with at(301):
        response = code_step(client, code(301))
        assert response.status_code == 302 and response["Location"] == "/accounts/login/"
        assert not signed_in_user(client).is_authenticated


def test_the_code_page_alone_signs_nobody_in(city: Any) -> None:
    enrol(city.monitor)
    with at(0):
        client = Client()
        response = code_step(client, code())
        assert response.status_code == 302 and response["Location"] == "/accounts/login/"
        assert not signed_in_user(client).is_authenticated


def test_guessing_codes_meets_the_login_lock_out(city: Any) -> None:
    enrol(city.monitor)
    limit = failure_limit()
    with at(0):
        client, _ = password_step("monitor")
        *first, last = wrong_codes(limit)
        for guess in first:
            assert code_step(client, guess).status_code == 200
        locked = code_step(client, last)
        assert locked.status_code == 429
        assert "暂时锁定" in locked.content.decode()
        assert AccessAttempt.objects.get(username="monitor").failures_since_start == limit
        # Locked: the right password and then the right code get nowhere either.
        client, response = password_step("monitor")
        assert response.status_code == 429
        assert not signed_in_user(client).is_authenticated


def test_failed_passwords_and_failed_codes_count_together(city: Any) -> None:
    enrol(city.monitor)
    limit = failure_limit()
    with at(0):
        for _ in range(limit - 1):
            wrong = Client(REMOTE_ADDR="10.0.0.1").post(
                "/accounts/login/", {"username": "monitor", "password": "wrong"}
            )
            assert wrong.status_code == 200
        client, response = password_step("monitor")
        assert response.status_code == 302  # the password is right: on to the code
        assert code_step(client, wrong_codes(1)[0]).status_code == 429


def test_a_recovery_code_works_once_and_is_audited(city: Any) -> None:
    codes = enrol(city.monitor)
    with at(0):
        client, _ = password_step("monitor")
        used = code_step(client, codes[3].upper().replace("-", " "))
        assert used.status_code == 302
        landed = client.get(used["Location"], follow=True)
        assert landed.wsgi_request.user == city.monitor
        assert "您使用了一个恢复码" in landed.content.decode()
        assert "还剩 9 个" in landed.content.decode()
        again, _ = password_step("monitor", ip="10.0.0.3")
        assert "验证码不正确" in code_step(again, codes[3]).content.decode()
    event = AuditEvent.objects.get(action="two_factor.recovery_code_use")
    assert event.after == {"recovery_codes_left": 9} and event.actor_id == city.monitor.pk


def test_the_security_page_regenerates_recovery_codes_with_a_code(city: Any) -> None:
    old = enrol(city.monitor)
    client = Client()
    client.force_login(city.monitor)
    with at(0):
        page = client.get("/accounts/security/").content.decode()
        assert "已启用" in page and "还剩 10 个未使用的恢复码" in page
        refused = client.post(
            "/accounts/two-factor/recovery-codes/", {"code": wrong_codes(1)[0]}, follow=True
        )
        assert "验证码不正确" in refused.content.decode()
        fresh = client.post("/accounts/two-factor/recovery-codes/", {"code": code()})
        new = re.findall(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>", fresh.content.decode())
        assert len(new) == 10 and not set(new) & set(old)
    assert AuditEvent.objects.filter(action="two_factor.recovery_codes_regenerate").count() == 1
    with at(30):
        client2, _ = password_step("monitor")
        assert "验证码不正确" in code_step(client2, old[0]).content.decode()
        assert code_step(client2, new[0]).status_code == 302


def test_a_person_not_required_may_turn_it_off_with_a_code(city: Any) -> None:
    enrol(city.monitor)
    client = Client()
    client.force_login(city.monitor)
    with at(0):
        client.post("/accounts/two-factor/disable/", {"code": code()})
    assert not TwoFactorDevice.objects.filter(user=city.monitor).exists()
    assert not RecoveryCode.objects.filter(user=city.monitor).exists()
    assert AuditEvent.objects.filter(action="two_factor.disable").exists()
    assert password_step("monitor")[1]["Location"] == "/"


@REQUIRED
def test_a_reviewer_may_not_turn_it_off(city: Any) -> None:
    enrol(city.reviewer)
    client = Client()
    client.force_login(city.reviewer)
    with at(0):
        response = client.post("/accounts/two-factor/disable/", {"code": code()}, follow=True)
    assert "必须使用两步验证" in response.content.decode()
    assert TwoFactorDevice.objects.filter(user=city.reviewer).exists()


def test_guessing_codes_on_the_security_page_locks_out_and_signs_out(city: Any) -> None:
    enrol(city.monitor)
    client = Client(REMOTE_ADDR="10.0.0.1")
    client.force_login(city.monitor)
    with at(0):
        responses = [
            client.post("/accounts/two-factor/disable/", {"code": guess})
            for guess in wrong_codes(failure_limit())
        ]
    assert responses[-1].status_code == 429
    assert TwoFactorDevice.objects.filter(user=city.monitor).exists()
    assert not signed_in_user(client).is_authenticated


# --- the roles that must use it ---------------------------------------------------------------------


@REQUIRED
def test_a_reviewer_without_an_authenticator_enrols_before_anything_else(city: Any) -> None:
    client, response = password_step("reviewer", next_url="/review/")
    assert response.status_code == 302  # no device yet: the password signs in ...
    for path in ("/review/", "/", "/forms/", "/accounts/tokens/", "/admin/", "/search/"):
        refused = client.get(path)
        assert refused.status_code == 302, path
        assert refused["Location"] == "/accounts/two-factor/enrol/", path
    htmx = client.get("/review/", HTTP_HX_REQUEST="true")
    assert htmx["HX-Redirect"] == "/accounts/two-factor/enrol/"
    page = client.get("/accounts/two-factor/enrol/").content.decode()
    assert "必须使用两步验证" in page and "暂不绑定，退出登录" in page
    # ... and the API, signed in with that session, refuses too.
    api = client.get("/api/v1/forms/")
    assert api.status_code == 403 and api.json()["error"] == "two_factor_enrolment_required"
    secret = client.session["huiying_2fa_enrol_secret"]
    client.post("/accounts/two-factor/enrol/", {"code": totp.code_at(secret, timezone.now())})
    assert client.get("/review/").status_code == 200


@REQUIRED
def test_an_administrator_must_enrol_too(city: Any, admin_user: Any) -> None:
    client = Client()
    client.force_login(admin_user)
    assert client.get("/admin/")["Location"] == "/accounts/two-factor/enrol/"


@REQUIRED
def test_signing_out_stays_open_to_a_person_who_must_enrol(city: Any) -> None:
    client, _ = password_step("reviewer")
    assert client.post("/accounts/logout/").status_code == 302
    assert not signed_in_user(client).is_authenticated


# --- the API -----------------------------------------------------------------------------------------


def api_token(username: str, **extra: str) -> Any:
    return APIClient().post(
        "/api/v1/auth/token/",
        {"username": username, "password": PASSWORD, **extra},
        format="json",
        REMOTE_ADDR="10.0.0.1",
    )


def test_the_api_wants_the_code_of_an_enrolled_person(city: Any) -> None:
    enrol(city.monitor)
    with at(0):
        missing = api_token("monitor")
        assert missing.status_code == 400 and missing.json()["error"] == "otp_required"
        wrong = api_token("monitor", otp=wrong_codes(1)[0])
        assert wrong.status_code == 400 and wrong.json()["error"] == "otp_invalid"
        ok = api_token("monitor", otp=code())
        assert ok.status_code == 200
        token = ApiToken.objects.get(user=city.monitor)
        assert token.two_factor
        # The code works once, here as on the page.
        assert api_token("monitor", otp=code()).json()["error"] == "otp_invalid"


def test_the_api_takes_no_recovery_codes(city: Any) -> None:
    codes = enrol(city.monitor)
    response = api_token("monitor", otp=codes[0])
    assert response.status_code == 400
    assert RecoveryCode.objects.filter(user=city.monitor, used_at__isnull=True).count() == 10


def test_guessing_codes_on_the_api_meets_the_lock_out(city: Any) -> None:
    enrol(city.monitor)
    with at(0):
        codes = [api_token("monitor", otp=g).status_code for g in wrong_codes(failure_limit())]
        assert codes == [400] * (failure_limit() - 1) + [429]
        locked = api_token("monitor", otp=code())
        assert locked.status_code == 429 and locked.json()["error"] == "locked_out"
        # The login page is closed to this name and address as well.
        _, page = password_step("monitor")
        assert page.status_code == 429


@REQUIRED
def test_a_reviewer_without_an_authenticator_gets_no_token(city: Any) -> None:
    response = api_token("reviewer")
    assert response.status_code == 403
    assert response.json()["error"] == "two_factor_enrolment_required"
    assert not ApiToken.objects.exists()


@REQUIRED
def test_a_reviewer_gets_a_token_only_with_a_code(city: Any) -> None:
    enrol(city.reviewer)
    with at(0):
        assert api_token("reviewer").json()["error"] == "otp_required"
        key = api_token("reviewer", otp=code()).json()["token"]
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        assert client.get("/api/v1/forms/").status_code == 200


@REQUIRED
def test_a_token_issued_without_a_code_does_not_serve_a_reviewer(city: Any) -> None:
    # Issued before the rule applied to him (e.g. he was a monitor then, or before the upgrade).
    key = token_issue(
        user=city.reviewer, name="旧令牌", two_factor=False, actor=city.reviewer, via="api"
    ).key
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = client.get("/api/v1/forms/")
    assert response.status_code == 401
    assert "两步验证" in response.json()["message"]


# --- the administrator --------------------------------------------------------------------------------


def test_the_admin_resets_a_persons_authenticator_with_a_reason(city: Any, admin_user: Any) -> None:
    enrol(city.monitor)
    client = Client()
    client.force_login(admin_user)
    change = client.get(f"/admin/accounts/user/{city.monitor.pk}/change/").content.decode()
    assert "已启用" in change and "重置两步验证" in change
    url = f"/admin/accounts/user/{city.monitor.pk}/two-factor/reset/"
    form = client.get(url)
    assert form.status_code == 200 and "原因" in form.content.decode()
    refused = client.post(url, {"reason": "  "})
    assert refused.status_code == 200
    assert TwoFactorDevice.objects.filter(user=city.monitor).exists()
    done = client.post(url, {"reason": "手机丢失，已当面核实"})
    assert done.status_code == 302
    assert not TwoFactorDevice.objects.filter(user=city.monitor).exists()
    assert not RecoveryCode.objects.filter(user=city.monitor).exists()
    event = AuditEvent.objects.get(action="two_factor.reset")
    assert event.actor_id == admin_user.pk and event.reason == "手机丢失，已当面核实"
    assert event.object_id == str(city.monitor.pk)
    # He signs in with his password alone again (his role does not require a code).
    assert password_step("monitor")[1]["Location"] == "/"


def test_a_person_without_admin_rights_cannot_reset(city: Any) -> None:
    enrol(city.monitor)
    client = Client()
    client.force_login(city.housing_handler)
    response = client.post(
        f"/admin/accounts/user/{city.monitor.pk}/two-factor/reset/", {"reason": "x"}
    )
    assert response.status_code in (302, 403)
    assert TwoFactorDevice.objects.filter(user=city.monitor).exists()


def test_the_command_line_resets_an_administrator_who_lost_his_phone(admin_user: Any) -> None:
    enrol(admin_user)
    out = StringIO()
    call_command("users", "reset-2fa", admin_user.username, "--reason", "手机丢失", stdout=out)
    assert "已重置" in out.getvalue()
    assert not TwoFactorDevice.objects.filter(user=admin_user).exists()
    event = AuditEvent.objects.get(action="two_factor.reset")
    assert event.actor_id is None and event.reason == "手机丢失"


def test_the_admin_login_form_is_the_sites_login(city: Any, admin_user: Any) -> None:
    """Django's admin login checks the password alone: it is replaced by the site's login."""
    enrol(admin_user)
    client = Client()
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "admin", "password": "password"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/admin/"
    assert not signed_in_user(client).is_authenticated
    assert client.get("/admin/")["Location"].startswith("/admin/login/")
    # A signed-in person without admin rights is told so, without a loop between login pages.
    handler = Client()
    handler.force_login(city.housing_handler)
    assert handler.get("/admin/login/?next=/admin/").status_code == 403
    # The admin's password form is the site's, which revokes tokens and audits.
    staff = Client()
    staff.force_login(admin_user)
    assert staff.get("/admin/password_change/")["Location"] == "/accounts/password/"


def test_the_demo_prints_codes_only_for_its_published_secret(city: Any) -> None:
    from huiying.demo.people import DEMO_TOTP_SECRET

    with at(-60):
        two_factor_enrol(
            user=city.reviewer,
            secret=DEMO_TOTP_SECRET,
            code=totp.code_at(DEMO_TOTP_SECRET, START - dt.timedelta(seconds=60)),
        )
    enrol(city.monitor)
    with at(0):
        out = StringIO()
        call_command("demo", "--otp", "reviewer", stdout=out)
        assert out.getvalue().startswith(totp.code_at(DEMO_TOTP_SECRET, START))
        with pytest.raises(CommandError, match="不是使用演示密钥"):
            call_command("demo", "--otp", "monitor", stdout=StringIO())
