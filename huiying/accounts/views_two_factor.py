"""两步验证: enrolment (QR code and the secret for typing in), recovery codes, turning it off.

The secret being enrolled lives in the session until a code from the app confirms it; only
then is anything stored (huiying/accounts/twofactor.py).
"""

from __future__ import annotations

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from huiying.accounts import totp
from huiying.accounts.forms import CodeForm
from huiying.accounts.twofactor import (
    WrongCode,
    has_two_factor,
    recovery_codes_regenerate,
    two_factor_disable,
    two_factor_enrol,
    two_factor_required,
)
from huiying.common.errors import DomainError

ENROL_SECRET = "huiying_2fa_enrol_secret"  # noqa: S105  (a session key)


def issuer() -> str:
    """The name the authenticator app shows above the code."""
    return _("%(city)s舆情交办") % {"city": settings.HUIYING_CITY_NAME}


@never_cache
@require_http_methods(["GET", "POST"])
def enrol(request: HttpRequest) -> HttpResponse:
    user = request.user
    if has_two_factor(user):
        messages.info(request, _("您已启用两步验证。"))
        return redirect("accounts:security")
    secret = request.session.get(ENROL_SECRET)
    if not isinstance(secret, str) or not secret:
        secret = totp.new_secret()
        request.session[ENROL_SECRET] = secret
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = two_factor_enrol(user=user, secret=secret, code=form.cleaned_data["code"])
        except DomainError as exc:
            form.add_error("code", exc.message)
        else:
            request.session.pop(ENROL_SECRET, None)
            return render(
                request, "accounts/recovery_codes.html", {"codes": codes, "enrolled": True}
            )
    account = user.get_username()
    uri = totp.provisioning_uri(secret, account=account, issuer=issuer())
    return render(
        request,
        "accounts/two_factor_enrol.html",
        {
            "form": form,
            "qr": totp.qr_svg(uri, title=_("两步验证二维码")),
            "secret": totp.spaced(secret),
            "account": account,
            "issuer": issuer(),
            "required": two_factor_required(user),
        },
    )


def _counted_failure(request: HttpRequest) -> HttpResponse | None:
    """A wrong code from a signed-in person counts for the lock-out like one at sign-in.

    Otherwise whoever found a session open could guess codes without limit to turn the second
    factor off or take its recovery codes. Locked out: signed out too, and axes' page.
    """
    credentials = {"username": request.user.get_username()}
    user_login_failed.send(sender=__name__, credentials=credentials, request=request)
    if getattr(request, "axes_locked_out", False):
        logout(request)
        return HttpResponse(status=429)
    messages.error(request, _("验证码不正确。"))
    return None


def _locked(request: HttpRequest) -> HttpResponse | None:
    credentials = {"username": request.user.get_username()}
    if AxesProxyHandler.is_allowed(request, credentials):
        return None
    logout(request)
    request.axes_locked_out = True  # type: ignore[attr-defined]
    request.axes_credentials = credentials  # type: ignore[attr-defined]
    return HttpResponse(status=429)


@never_cache
@require_POST
def recovery_codes(request: HttpRequest) -> HttpResponse:
    form = CodeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请输入验证器上当前显示的验证码。"))
        return redirect("accounts:security")
    if (locked := _locked(request)) is not None:
        return locked
    try:
        codes = recovery_codes_regenerate(user=request.user, code=form.cleaned_data["code"])
    except WrongCode:
        return _counted_failure(request) or redirect("accounts:security")
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("accounts:security")
    return render(request, "accounts/recovery_codes.html", {"codes": codes, "enrolled": False})


@require_POST
def disable(request: HttpRequest) -> HttpResponse:
    form = CodeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请输入验证器上当前显示的验证码。"))
        return redirect("accounts:security")
    if (locked := _locked(request)) is not None:
        return locked
    try:
        two_factor_disable(user=request.user, code=form.cleaned_data["code"])
    except WrongCode:
        return _counted_failure(request) or redirect("accounts:security")
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已关闭两步验证。"))
    return redirect("accounts:security")
