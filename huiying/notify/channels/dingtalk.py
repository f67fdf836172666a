"""DingTalk (钉钉) group robot with 加签: ``timestamp`` (ms) and ``sign`` added to the URL.

sign = urlencode(base64(HmacSHA256(key=secret, msg=f"{timestamp}\\n{secret}"))), as DingTalk's
robot documentation gives it; the timestamp must be within an hour of DingTalk's clock.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from urllib.parse import quote_plus

from huiying.notify.channels.base import Outgoing, Sent, Target, json_bytes, post, robot_errcode


def signature(secret: str, timestamp_ms: int) -> str:
    """The base64 signature, before URL encoding."""
    digest = hmac.new(
        secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256
    ).digest()
    return base64.b64encode(digest).decode("ascii")


def signed_url(url: str, secret: str, timestamp_ms: int) -> str:
    if not secret:
        return url
    joiner = "&" if "?" in url else "?"
    sign = quote_plus(signature(secret, timestamp_ms))
    return f"{url}{joiner}timestamp={timestamp_ms}&sign={sign}"


def send(out: Outgoing, target: Target) -> Sent:
    title = f"{'【紧急】' if out.urgent else ''}{out.subject}"
    text = f"### {title}\n\n{out.body}"
    if out.link:
        text += f"\n\n[打开查看]({out.link})"
    payload = {"msgtype": "markdown", "markdown": {"title": title[:60], "text": text}}
    response = post(
        signed_url(target.address, target.secret, int(time.time() * 1000)),
        data=json_bytes(payload),
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "X-Huiying-Message-Id": out.message_key,
        },
    )
    robot_errcode(response)
    return Sent(code=response.status_code)
