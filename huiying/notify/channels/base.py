"""What every outside channel gets to send, how it reports failure, and its HTTP client.

Receivers are configured by 网信办 and trusted; the client still ignores proxy variables of
the environment (``trust_env`` off), follows no redirects and has a timeout on every request.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.cookiejar import DefaultCookiePolicy
from typing import Any

import requests
from django.conf import settings


@dataclass(frozen=True)
class Outgoing:
    delivery_id: int
    message_key: str  # stable across retries: the receiver's idempotency key
    subject: str
    body: str
    link: str  # absolute when HUIYING_NOTIFY_BASE_URL is set
    urgent: bool
    template: str
    created_at: str

    @property
    def text(self) -> str:
        parts = [self.subject, self.body]
        if self.link:
            parts.append(self.link)
        return "\n".join(p for p in parts if p)


@dataclass(frozen=True)
class Target:
    address: str
    secret: str = ""


class SendError(Exception):
    """A failed send; ``retry`` False when sending again cannot help (a 4xx answer)."""

    def __init__(self, message: str, *, code: int | None = None, retry: bool = True) -> None:
        super().__init__(message)
        self.code = code
        self.retry = retry


@dataclass(frozen=True)
class Sent:
    code: int | None = None


def timeout() -> float:
    return float(getattr(settings, "HUIYING_NOTIFY_HTTP_TIMEOUT", 10))


_local = threading.local()


def session() -> requests.Session:
    """One client per thread, kept: connections to a receiver are reused (keep-alive)."""
    s: requests.Session | None = getattr(_local, "session", None)
    if s is None:
        s = requests.Session()
        s.trust_env = False  # no proxy or netrc from the environment
        s.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))  # keep no cookies
        s.headers["User-Agent"] = "huiying-notify/1"
        _local.session = s
    return s


def post(
    url: str,
    *,
    data: bytes,
    headers: dict[str, str],
    method: str = "POST",
    params: dict[str, str] | None = None,
) -> requests.Response:
    try:
        response = session().request(
            method,
            url,
            data=data,
            headers=headers,
            params=params,
            timeout=timeout(),
            allow_redirects=False,
        )
    except requests.Timeout as exc:
        raise SendError(f"timeout: {exc}") from None
    except requests.RequestException as exc:
        raise SendError(f"{type(exc).__name__}: {exc}") from None
    check_status(response)
    return response


def check_status(response: requests.Response) -> None:
    code = response.status_code
    if 200 <= code < 300:
        return
    retry = code >= 500 or code in (408, 425, 429)
    raise SendError(f"HTTP {code}: {response.text[:200]}", code=code, retry=retry)


def json_bytes(payload: Any) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def robot_errcode(response: requests.Response) -> None:
    """WeCom and DingTalk answer 200 with {"errcode": n, "errmsg": ...}; n != 0 is a failure."""
    try:
        answer = response.json()
    except ValueError:
        raise SendError(
            f"unreadable answer: {response.text[:200]}", code=response.status_code
        ) from None
    errcode = answer.get("errcode", 0) if isinstance(answer, dict) else 0
    if errcode not in (0, "0"):
        raise SendError(
            f"errcode {errcode}: {str(answer.get('errmsg', ''))[:200]}", code=response.status_code
        )
