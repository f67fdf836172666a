"""The demo with the shipped two-factor rule: reviewers and the administrator hold the published
demo secret, the output says so, and they sign in through the pages with its codes."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from huiying.accounts.models import TwoFactorDevice
from huiying.demo.people import DEMO_PASSWORD, DEMO_TOTP_SECRET

pytestmark = pytest.mark.django_db


def test_demo_reviewers_sign_in_with_the_printed_secret(settings: Any) -> None:
    settings.HUIYING_2FA_REQUIRED_ROLES = ["reviewer", "admin"]
    out = StringIO()
    call_command("demo", "--no-sites", stdout=out)
    printed = out.getvalue()
    enrolled = set(TwoFactorDevice.objects.values_list("user__username", flat=True))
    assert enrolled == {"cac_reviewer", "cac_reviewer2", "admin"}
    assert set(TwoFactorDevice.objects.values_list("secret", flat=True)) == {DEMO_TOTP_SECRET}
    assert DEMO_TOTP_SECRET in printed and "huiying demo --otp" in printed

    client = Client()
    step = client.post("/accounts/login/", {"username": "cac_reviewer", "password": DEMO_PASSWORD})
    assert step["Location"] == "/accounts/login/verify/"
    code = StringIO()
    call_command("demo", "--otp", "cac_reviewer", stdout=code)
    signed = client.post("/accounts/login/verify/", {"code": code.getvalue()[:6]})
    assert signed.status_code == 302
    assert client.get("/review/").status_code == 200
    # A handler signs in with the password alone.
    handler = Client()
    assert (
        handler.post("/accounts/login/", {"username": "zjj_handler", "password": DEMO_PASSWORD})[
            "Location"
        ]
        == "/"
    )
