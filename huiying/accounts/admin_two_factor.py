"""The admin's "重置两步验证" page: clears a person's authenticator, with the reason, audited.

For a person who lost his phone and his recovery codes. He enrols again at his next sign-in.
An administrator locked out of the admin this way uses `huiying users reset-2fa`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from huiying.accounts.twofactor import has_two_factor, two_factor_reset
from huiying.common.errors import DomainError


class ResetForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("原因"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=gettext_lazy("例如：手机丢失，本人已当面核实身份。原因记入审计日志。"),
    )


def two_factor_reset_view(model_admin: Any) -> Callable[..., HttpResponse]:
    def view(request: HttpRequest, id: str) -> HttpResponse:
        user = model_admin.get_object(request, unquote(id))
        if user is None:
            raise Http404
        if not model_admin.has_change_permission(request, user):
            raise PermissionDenied
        change_url = reverse("admin:accounts_user_change", args=[user.pk])
        if not has_two_factor(user):
            messages.info(request, _("%(user)s 未启用两步验证。") % {"user": user})
            return redirect(change_url)
        form = ResetForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                two_factor_reset(user=user, actor=request.user, reason=form.cleaned_data["reason"])
            except DomainError as exc:
                form.add_error("reason", exc.message)
            else:
                messages.success(
                    request,
                    _("已重置 %(user)s 的两步验证；其下次登录时须重新绑定验证器。")
                    % {"user": user},
                )
                return redirect(change_url)
        context = {
            **model_admin.admin_site.each_context(request),
            "title": _("重置两步验证：%(user)s") % {"user": user},
            "form": form,
            "person": user,
            "opts": model_admin.model._meta,
            "original": user,
            "change_url": change_url,
        }
        return TemplateResponse(request, "admin/accounts/user/two_factor_reset.html", context)

    return view
