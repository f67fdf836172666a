from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse

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


class LoginRequiredMiddleware:
    """Deny by default: every page needs a signed-in user unless it is listed as public.

    The API authenticates with tokens on its own (DRF), and the admin has its own login.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.user.is_authenticated and not request.path.startswith(PUBLIC_PREFIXES):
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        return self.get_response(request)
