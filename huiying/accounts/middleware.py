from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

# Paths reachable without signing in; everything else is denied by default.
# The vendor push endpoint authenticates each batch by its HMAC signature (the vendor is a
# machine with no session).
PUBLIC_PREFIXES = (
    "/accounts/login",
    "/static/",
    "/favicon.ico",
    "/api/",
    "/admin/",
    "/healthz",
    "/public/",
    "/monitoring/push/",
)

# Session keys: when the person signed in, and when he was last seen (seconds since the epoch).
SIGNED_IN_AT = "huiying_signed_in_at"
SEEN_AT = "huiying_seen_at"
# The "last seen" stamp is rewritten at most this often: not a session write per request.
SEEN_RESOLUTION_S = 60


def stamp_session(request: HttpRequest) -> None:
    """Start both clocks of a new sign-in (connected to user_logged_in in apps.py)."""
    now = time.time()
    request.session[SIGNED_IN_AT] = now
    request.session[SEEN_AT] = now


def _htmx_aware_redirect(request: HttpRequest, url: str) -> HttpResponse:
    """A redirect that also works for an htmx request, which would swap the page into a slot.

    htmx follows HX-Redirect with a full page load, before any swap.
    """
    if request.headers.get("HX-Request"):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return HttpResponse(status=302, headers={"Location": url})


def _page_to_return_to(request: HttpRequest) -> str:
    """Where to go after signing in again: for htmx, the page the fragment belonged to."""
    if request.headers.get("HX-Request"):
        current = request.headers.get("HX-Current-URL", "")
        if current and url_has_allowed_host_and_scheme(
            current, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            parts = urlsplit(current)
            return parts.path + (f"?{parts.query}" if parts.query else "")
        return "/"
    return request.get_full_path() if request.method == "GET" else "/"


def _login_url(next_url: str) -> str:
    response = redirect_to_login(next_url, resolve_url(settings.LOGIN_URL))
    return str(response["Location"])


class SessionTimeoutMiddleware:
    """Ends a session idle for HUIYING_SESSION_IDLE_MINUTES, or older than _MAX_HOURS.

    A page request goes to the login page with a notice, and comes back after signing in;
    the API (with a session) is answered as not signed in. A session without the stamps
    (opened before this rule existed) has ended too.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            ended = self._ended(request)
            if ended:
                return self._sign_out(request, ended)
        return self.get_response(request)

    def _ended(self, request: HttpRequest) -> str:
        session = request.session
        now = time.time()
        signed_in = session.get(SIGNED_IN_AT)
        seen = session.get(SEEN_AT)
        if not isinstance(signed_in, int | float) or not isinstance(seen, int | float):
            return "unknown"
        if now - signed_in > settings.HUIYING_SESSION_MAX_HOURS * 3600:
            return "max"
        if now - seen > settings.HUIYING_SESSION_IDLE_MINUTES * 60:
            return "idle"
        # A clock that went back (time travel in tests, an NTP step) counts as activity too.
        if abs(now - seen) >= SEEN_RESOLUTION_S:
            session[SEEN_AT] = now
        return ""

    def _sign_out(self, request: HttpRequest, why: str) -> HttpResponse:
        next_url = _page_to_return_to(request)
        logout(request)
        if request.path.startswith("/api/"):
            # DRF then answers 401 not_authenticated in the API's error shape.
            return self.get_response(request)
        if why == "idle":
            notice = _(
                "您已超过 %(minutes)d 分钟没有操作，为保护账号安全已自动退出，请重新登录。"
            ) % {"minutes": settings.HUIYING_SESSION_IDLE_MINUTES}
        else:
            notice = _("登录已超过 %(hours)d 小时，为保护账号安全请重新登录。") % {
                "hours": settings.HUIYING_SESSION_MAX_HOURS
            }
        messages.warning(request, notice)
        return _htmx_aware_redirect(request, _login_url(next_url))


class LoginRequiredMiddleware:
    """Deny by default: every page needs a signed-in user unless it is listed as public.

    The API authenticates with tokens on its own (DRF), and the admin has its own login.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.user.is_authenticated and not request.path.startswith(PUBLIC_PREFIXES):
            return _htmx_aware_redirect(request, _login_url(_page_to_return_to(request)))
        return self.get_response(request)


# What a person who must enrol may still open: enrolment itself, signing out, static files.
ENROLMENT_OPEN_PREFIXES = (
    "/accounts/two-factor/enrol",
    "/accounts/logout",
    "/accounts/login",
    "/static/",
    "/favicon.ico",
    "/healthz",
)


class TwoFactorGateMiddleware:
    """A signed-in person whose role requires two-factor sign-in enrols before anything else."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and not request.path.startswith(ENROLMENT_OPEN_PREFIXES)
            and _must_enrol(user)
        ):
            message = _("您的角色须使用两步验证，请先完成绑定。")
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {"error": "two_factor_enrolment_required", "message": message}, status=403
                )
            return _htmx_aware_redirect(request, reverse("accounts:two_factor_enrol"))
        return self.get_response(request)


def _must_enrol(user: object) -> bool:
    from huiying.accounts.twofactor import has_two_factor, two_factor_required

    return two_factor_required(user) and not has_two_factor(user)
