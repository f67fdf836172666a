"""Security headers on every response: a strict Content-Security-Policy, and HSTS under HTTPS.

The policy (``STRICT_CONTENT_SECURITY_POLICY`` in the settings) allows only the system's own
scripts, styles and images (and ``data:`` images), no inline script or style, no plugins, no
framing, and forms that post only back to the system. A response that already carries its own policy keeps it: downloaded attachments and
monitoring evidence are sandboxed more strictly by their views.

``Strict-Transport-Security`` is sent whenever HUIYING_HSTS_SECONDS is above zero (its default
follows HUIYING_SECURE_COOKIES): browsers heed it only over HTTPS, and behind a TLS proxy the
application cannot always tell that a request came over HTTPS, so it does not try.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = settings.HUIYING_CONTENT_SECURITY_POLICY
        if policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy
        seconds = settings.HUIYING_HSTS_SECONDS
        if seconds > 0 and "Strict-Transport-Security" not in response:
            response["Strict-Transport-Security"] = f"max-age={seconds}; includeSubDomains"
        return response
