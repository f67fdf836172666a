"""SMS through an HTTP gateway; providers differ, so the request is a template.

HUIYING_SMS_URL, HUIYING_SMS_METHOD (POST), HUIYING_SMS_HEADERS (JSON object) and
HUIYING_SMS_BODY: text with ``{mobile}`` and ``{text}`` (also usable in the URL). The values are
escaped for the body's Content-Type: JSON string escaping for ``application/json`` (write the
quotes in the template), form encoding for ``application/x-www-form-urlencoded``, as is
otherwise; in the URL they are percent-encoded.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from urllib.parse import quote, quote_plus

from django.conf import settings

from huiying.notify.channels.base import Outgoing, SendError, Sent, Target, post

DEFAULT_BODY = '{"mobile": "{mobile}", "content": "{text}"}'
DEFAULT_HEADERS = '{"Content-Type": "application/json; charset=utf-8"}'
SMS_MAX = 300


def _fill(template: str, values: dict[str, str], escape: Callable[[str], str]) -> str:
    out = template
    for name, value in values.items():
        out = out.replace("{" + name + "}", escape(value))
    return out


def _plain(value: str) -> str:
    return value


def _form_escape(value: str) -> str:
    return quote_plus(value)


def _json_escape(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)[1:-1]


def send(out: Outgoing, target: Target) -> Sent:
    url = getattr(settings, "HUIYING_SMS_URL", "")
    if not url:
        raise SendError("HUIYING_SMS_URL is not set", retry=False)
    try:
        headers = json.loads(getattr(settings, "HUIYING_SMS_HEADERS", "") or DEFAULT_HEADERS)
    except ValueError:
        raise SendError("HUIYING_SMS_HEADERS is not a JSON object", retry=False) from None
    body_template = getattr(settings, "HUIYING_SMS_BODY", "") or DEFAULT_BODY
    method = (getattr(settings, "HUIYING_SMS_METHOD", "") or "POST").upper()
    text = " ".join(p for p in (out.subject, out.link) if p)[:SMS_MAX]
    values = {"mobile": target.address, "text": text, "id": out.message_key}
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    escape: Callable[[str], str] = _plain
    if "json" in content_type:
        escape = _json_escape
    elif "x-www-form-urlencoded" in content_type:
        escape = _form_escape

    body = _fill(body_template, values, escape) if method != "GET" else ""
    headers = {str(k): str(v) for k, v in headers.items()}
    headers.setdefault("X-Huiying-Message-Id", out.message_key)
    response = post(
        _fill(url, values, lambda v: quote(v, safe="")),
        data=body.encode("utf-8"),
        headers=headers,
        method=method,
    )
    return Sent(code=response.status_code)
