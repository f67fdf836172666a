"""账号安全: the person's own page for two-factor sign-in, password and API tokens."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from huiying.accounts.forms import PasswordChangeForm
from huiying.accounts.models import TwoFactorDevice
from huiying.accounts.services import password_change
from huiying.accounts.tokens import live_tokens, token_days
from huiying.accounts.twofactor import recovery_codes_left, two_factor_required
from huiying.common.errors import InvalidInput


def security(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    device = TwoFactorDevice.objects.filter(user_id=user.pk).first()
    return render(
        request,
        "accounts/security.html",
        {
            "device": device,
            "required": two_factor_required(user),
            "codes_left": recovery_codes_left(user) if device else 0,
            "live_tokens": live_tokens(user).count(),
            "token_days": token_days(),
            "idle_minutes": settings.HUIYING_SESSION_IDLE_MINUTES,
            "max_hours": settings.HUIYING_SESSION_MAX_HOURS,
        },
    )


@require_http_methods(["GET", "POST"])
def password(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            revoked = password_change(
                user=request.user,
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password1"],
            )
        except InvalidInput as exc:
            field = "old_password" if "原密码" in exc.message else "new_password1"
            form.add_error(field, exc.message)
        else:
            # This browser stays signed in; every other session of the person has ended.
            update_session_auth_hash(request, request.user)  # type: ignore[arg-type]
            messages.success(
                request,
                _("密码已修改。其他设备上的登录已退出，%(count)d 个接口令牌已失效。")
                % {"count": revoked},
            )
            return redirect("accounts:security")
    return render(request, "accounts/password.html", {"form": form})
