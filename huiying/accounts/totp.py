"""Time-based one-time passwords (RFC 6238: HMAC-SHA1, 6 digits, 30-second steps).

The parameters are the ones every authenticator app assumes when it reads an ``otpauth://``
address (腾讯身份验证器, Microsoft/Google Authenticator, FreeOTP). The QR code is drawn here as
SVG: nothing is fetched from outside the intranet.
"""

from __future__ import annotations

import datetime as dt
import hmac
import re

import pyotp
import segno

STEP_SECONDS = 30
DIGITS = 6
# One step either side: a phone whose clock is up to half a minute off still signs in.
DRIFT_STEPS = 1
CODE_RE = re.compile(r"^\d{6}$")


def new_secret() -> str:
    """160 random bits in Base32 (RFC 4226 recommends at least 128)."""
    return pyotp.random_base32(32)


def step_at(at: dt.datetime) -> int:
    return int(at.timestamp()) // STEP_SECONDS


def code_for_step(secret: str, step: int) -> str:
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).generate_otp(step)


def code_at(secret: str, at: dt.datetime) -> str:
    return code_for_step(secret, step_at(at))


def clean_code(text: str) -> str:
    """What a person typed, without the spaces and dashes apps show inside the code."""
    return re.sub(r"[\s\-]", "", text or "")


def looks_like_code(text: str) -> bool:
    return bool(CODE_RE.match(clean_code(text)))


def matching_step(secret: str, code: str, *, at: dt.datetime) -> int | None:
    """The time step near ``at`` whose code is ``code``, or None."""
    code = clean_code(code)
    if not CODE_RE.match(code):
        return None
    now = step_at(at)
    for step in range(now - DRIFT_STEPS, now + DRIFT_STEPS + 1):
        if hmac.compare_digest(code_for_step(secret, step), code):
            return step
    return None


def provisioning_uri(secret: str, *, account: str, issuer: str) -> str:
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
        name=account, issuer_name=issuer
    )


def qr_svg(uri: str, *, title: str) -> str:
    """An inline <svg> of the QR code for ``uri``, with the four-module quiet zone readers need."""
    return str(segno.make(uri, error="m").svg_inline(scale=5, border=4, title=title))


def spaced(secret: str) -> str:
    """The secret in groups of four, as typed by hand into an app."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
