"""A Content-Security-Policy on every response, HSTS when served over HTTPS, and no inline
style or script left in the templates for the policy to block."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings

from huiying.cases import services
from huiying.cases.models import Status
from huiying.cases.tests.builders import to_status

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
DIRECTIVES = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def policy(response: Any) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in header.split(";") if part.strip())


def assert_strict(response: Any) -> None:
    got = policy(response)
    for directive, value in DIRECTIVES.items():
        assert got.get(directive) == value, (directive, got)
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "unsafe-eval" not in response["Content-Security-Policy"]


def test_every_kind_of_page_has_the_strict_policy(city: Any) -> None:
    form = to_status(city, Status.ISSUED)
    anonymous = Client()
    assert_strict(anonymous.get("/accounts/login/"))
    assert_strict(anonymous.get("/admin/login/"))
    assert_strict(anonymous.get("/api/v1/forms/"))  # a 401 JSON answer
    signed_in = Client()
    signed_in.force_login(city.housing_handler)
    for path in ("/", "/inbox/", "/forms/", f"/forms/{form.pk}/", "/no-such-page/"):
        response = signed_in.get(path)
        assert response.status_code in (200, 302, 404), path
        assert_strict(response)


def test_an_attachment_keeps_its_own_sandbox(city: Any) -> None:
    form = to_status(city, Status.DRAFT)
    upload = SimpleUploadedFile("截图.png", b"\x89PNG\r\n\x1a\nfake", content_type="image/png")
    attachment = services.attachment_add(form=form, actor=city.monitor, upload=upload)
    client = Client()
    client.force_login(city.monitor)
    response = client.get(f"/forms/{form.pk}/attachments/{attachment.pk}/")
    assert response.status_code == 200
    assert response["Content-Security-Policy"].startswith("sandbox")


def test_no_hsts_over_plain_http_by_default(city: Any) -> None:
    assert settings.HUIYING_HSTS_SECONDS == 0  # HUIYING_SECURE_COOKIES is off in tests
    assert "Strict-Transport-Security" not in Client().get("/accounts/login/")


@override_settings(HUIYING_HSTS_SECONDS=31536000)
def test_hsts_once_the_site_is_served_over_https(city: Any) -> None:
    response = Client().get("/accounts/login/", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


@pytest.mark.parametrize(("secure", "seconds"), [("true", 365 * 24 * 3600), ("false", 0)])
def test_the_hsts_default_follows_the_secure_cookies_setting(secure: str, seconds: int) -> None:
    env = {k: v for k, v in os.environ.items() if k != "HUIYING_HSTS_SECONDS"}
    env |= {"HUIYING_SECURE_COOKIES": secure, "DJANGO_SETTINGS_MODULE": "config.settings"}
    code = "from django.conf import settings; print(settings.HUIYING_HSTS_SECONDS)"
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert int(out.stdout.strip()) == seconds


def test_templates_carry_no_inline_style_or_script() -> None:
    """The browser test checks the main pages; this one checks every template."""
    offenders = []
    for path in ROOT.rglob("*.html"):
        if path.name == "500.html":  # self-contained, with its own policy (config.error_handlers)
            continue
        text = path.read_text(encoding="utf-8")
        if re.search(r"\sstyle=|\son[a-z]+=|<style", text):
            offenders.append(str(path))
        # A {# comment #} ends on its line; one that does not shows on the page.
        offenders += [
            f"{path}: {line}" for line in text.splitlines() if "{#" in line and "#}" not in line
        ]
        for tag in re.findall(r"<script\b[^>]*>", text):
            if "src=" not in tag and "application/json" not in tag:
                offenders.append(f"{path}: {tag}")
    assert offenders == []


def test_the_server_error_page_has_its_own_scriptless_policy(city: Any) -> None:
    from config.error_handlers import server_error

    response = server_error(Client().get("/accounts/login/").wsgi_request)
    assert response.status_code == 500
    assert "script-src" not in response["Content-Security-Policy"]
    assert "default-src 'none'" in response["Content-Security-Policy"]
