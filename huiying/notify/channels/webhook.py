"""A generic webhook for other systems: JSON, signed with HMAC-SHA256.

Headers: ``X-Huiying-Timestamp`` (Unix seconds), ``X-Huiying-Signature: sha256=<hex>`` over
``f"{timestamp}.".encode() + body``, and ``X-Huiying-Message-Id`` (the same on every retry, for
the receiver to drop a repeat). A receiver should refuse timestamps older than 5 minutes.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from huiying.notify.channels.base import Outgoing, Sent, Target, json_bytes, post


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def send(out: Outgoing, target: Target) -> Sent:
    body = json_bytes(
        {
            "id": out.message_key,
            "template": out.template,
            "subject": out.subject,
            "body": out.body,
            "link": out.link,
            "urgent": out.urgent,
            "created_at": out.created_at,
        }
    )
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "X-Huiying-Timestamp": timestamp,
        "X-Huiying-Message-Id": out.message_key,
    }
    if target.secret:
        headers["X-Huiying-Signature"] = sign(target.secret, timestamp, body)
    response = post(target.address, data=body, headers=headers)
    return Sent(code=response.status_code)
