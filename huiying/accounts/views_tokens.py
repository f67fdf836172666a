"""接口令牌: a person's API tokens; a new one is shown once, any live one can be revoked."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from huiying.accounts.forms import TokenCreateForm
from huiying.accounts.models import ApiToken
from huiying.accounts.tokens import (
    IssuedToken,
    own_token,
    state_of,
    token_days,
    token_issue,
    token_revoke,
    tokens_of,
)
from huiying.accounts.twofactor import has_two_factor
from huiying.common.errors import DomainError

STATE_LABELS = {
    "live": gettext_lazy("有效"),
    "expired": gettext_lazy("已过期"),
    "revoked": gettext_lazy("已吊销"),
    "password": gettext_lazy("密码已修改，已失效"),
}


@never_cache  # the page that shows a new key must not be kept by a browser or a proxy
@require_http_methods(["GET", "POST"])
def tokens(request: HttpRequest) -> HttpResponse:
    form = TokenCreateForm(request.POST or None)
    issued: IssuedToken | None = None
    if request.method == "POST" and form.is_valid():
        try:
            issued = token_issue(
                user=request.user,
                name=form.cleaned_data["name"],
                # Signed in through both steps: the session passed the code.
                two_factor=has_two_factor(request.user),
                actor=request.user,
                via="page",
            )
        except DomainError as exc:
            form.add_error("name", exc.message)
        else:
            form = TokenCreateForm()
    now = timezone.now()
    rows = [
        {"token": t, "state": state_of(t, at=now), "label": STATE_LABELS[state_of(t, at=now)]}
        for t in tokens_of(request.user)
    ]
    return render(
        request,
        "accounts/tokens.html",
        {"form": form, "issued": issued, "rows": rows, "token_days": token_days()},
    )


@require_POST
def token_revoke_view(request: HttpRequest, token_id: int) -> HttpResponse:
    token = own_token(request.user, token_id)
    if token is None:
        raise Http404
    if token_revoke(token=token, actor=request.user, reason=ApiToken.Reason.OWNER):
        messages.success(
            request,
            _("令牌“%(name)s”（%(prefix)s…）已吊销。")
            % {"name": token.name, "prefix": token.prefix},
        )
    return redirect("accounts:tokens")
