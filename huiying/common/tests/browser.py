"""What the browser tests share: Debian's chromium driven by Playwright, never a downloaded one."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

# Playwright's sync API runs an event loop; Django refuses ORM calls inside one unless told.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[3]
# Under var/ by default, so a test run leaves the tree clean; `make screenshots` refreshes the
# README's pictures in docs/screenshots.
SHOTS = Path(os.environ.get("HUIYING_SCREENSHOT_DIR") or ROOT / "var" / "screenshots")
# Without the background-networking flags chromium keeps trying hosts this closed network refuses.
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

needs_chromium = pytest.mark.skipif(
    shutil.which(CHROMIUM) is None, reason="Debian chromium is not installed (make browser)"
)


VERIFY_PATH = "/accounts/login/verify/"


def log_in(page: Any, base_url: str, username: str, password: str) -> None:
    """Sign in through the page; a person with an authenticator also types the current code."""
    page.goto(f"{base_url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.press("input[name=password]", "Enter")
    page.wait_for_url(lambda url: "/accounts/login/" not in url or VERIFY_PATH in url)
    if VERIFY_PATH in page.url:
        page.fill("input[name=code]", otp_for(username))
        page.press("input[name=code]", "Enter")
        page.wait_for_url(lambda url: "/accounts/login/" not in url)


def otp_for(username: str) -> str:
    """The code this person's authenticator would show, one not used yet (each works once)."""
    import time

    from huiying.accounts import totp
    from huiying.accounts.models import TwoFactorDevice

    device = TwoFactorDevice.objects.get(user__username=username)
    now = int(time.time()) // totp.STEP_SECONDS
    step = max(now, device.last_step + 1)
    if step > now + totp.DRIFT_STEPS:  # signed in twice within a minute: wait for a new code
        time.sleep((step - totp.DRIFT_STEPS) * totp.STEP_SECONDS - time.time() + 0.5)
    return totp.code_for_step(device.secret, step)
