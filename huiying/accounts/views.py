"""Signing in: the password page, then (for a person with an authenticator) the code page.

Nobody is logged in until both steps pass: between them the session only holds who passed
the password, for a few minutes. A wrong code is a failed login for django-axes, so the
lock-out that stops password guessing stops code guessing too, and a lock-out earned on
either page closes both.
"""

from __future__ import annotations

import time
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.signals import user_login_failed
from django.contrib.auth.views import LoginView as DjangoLoginView
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from huiying.accounts.forms import CodeForm
from huiying.accounts.lockout import cooloff_minutes, failure_limit
from huiying.accounts.twofactor import has_two_factor, recovery_codes_left, two_factor_check

PENDING = "huiying_2fa_pending"
# Time to take out the phone and type six digits.
PENDING_SECONDS = 300


class LoginView(DjangoLoginView):
    """The sign-in page; it states the lock-out rule up front (axes enforces it)."""

    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(**kwargs) | {
            "failure_limit": failure_limit(),
            "cooloff_minutes": cooloff_minutes(),
        }

    def form_valid(self, form: Any) -> HttpResponse:
        user = form.get_user()
        if not has_two_factor(user):
            return super().form_valid(form)
        # The password is right; the code comes next. A new session key, so that a key
        # planted before this page cannot be the one that ends up signed in.
        self.request.session.cycle_key()
        self.request.session[PENDING] = {
            "user": user.pk,
            "backend": user.backend,
            "at": time.time(),
            "next": self.get_success_url(),
        }
        return redirect("accounts:login_verify")


def _pending_user(request: HttpRequest) -> tuple[Any, dict[str, Any]] | None:
    pending = request.session.get(PENDING)
    if not isinstance(pending, dict):
        return None
    if time.time() - float(pending.get("at", 0)) > PENDING_SECONDS:
        del request.session[PENDING]
        return None
    user_id = pending.get("user")
    if not isinstance(user_id, int):
        return None
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    return (user, pending) if user is not None else None


@never_cache
@require_http_methods(["GET", "POST"])
def login_verify(request: HttpRequest) -> HttpResponseBase:
    """The second step: a code from the authenticator, or a recovery code."""
    if request.user.is_authenticated:
        return redirect("/")
    found = _pending_user(request)
    if found is None:
        messages.warning(request, _("验证已超时，请重新输入用户名和密码。"))
        return redirect("accounts:login")
    user, pending = found
    credentials = {"username": user.get_username()}
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not AxesProxyHandler.is_allowed(request, credentials):
            request.session.pop(PENDING, None)
            # AxesMiddleware answers with the lock-out page.
            request.axes_locked_out = True  # type: ignore[attr-defined]
            request.axes_credentials = credentials  # type: ignore[attr-defined]
            return HttpResponse(status=429)
        check = two_factor_check(user=user, code=form.cleaned_data["code"])
        if check.ok:
            request.session.pop(PENDING, None)
            login(request, user, backend=pending["backend"])
            if check.kind == "recovery":
                messages.warning(
                    request,
                    _(
                        "您使用了一个恢复码（每个只能用一次），还剩 %(left)d 个。"
                        "如果手机丢失，请在“账号安全”中重新绑定验证器或生成新的恢复码。"
                    )
                    % {"left": recovery_codes_left(user)},
                )
            next_url = str(pending.get("next") or "/")
            if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
                next_url = "/"
            return redirect(next_url)
        user_login_failed.send(sender=__name__, credentials=credentials, request=request)
        if getattr(request, "axes_locked_out", False):
            request.session.pop(PENDING, None)
            return HttpResponse(status=429)
        form.add_error(
            "code",
            _("这个验证码已经用过，请等待验证器显示下一个验证码。")
            if check.replayed
            else _("验证码不正确。"),
        )
    return render(
        request,
        "accounts/login_verify.html",
        {
            "form": form,
            "failure_limit": failure_limit(),
            "cooloff_minutes": cooloff_minutes(),
        },
    )


def admin_login(request: HttpRequest) -> HttpResponseBase:
    """The admin signs in through the site's login (password, then the code), never its own.

    Django's admin login form would check the password alone. A signed-in person without
    admin rights is told so instead of being sent round between the two login pages.
    """
    next_url = request.GET.get("next") or "/admin/"
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = "/admin/"
    if request.user.is_authenticated:
        if request.user.is_active and request.user.is_staff:
            return redirect(next_url)
        return render(request, "403.html", {"reason": _("您没有管理后台的权限。")}, status=403)
    return redirect_to_login(next_url, "accounts:login")
