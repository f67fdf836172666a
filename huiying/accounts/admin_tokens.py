"""API tokens in the admin: who holds which, since when, until when; never a key.

Only the prefix is shown (the key itself is not stored). Tokens are not created or edited
here; an administrator may revoke them (audited, through the service).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from huiying.accounts.models import ApiToken
from huiying.accounts.tokens import state_of, token_revoke

STATE_LABELS = {
    "live": _("有效"),
    "expired": _("已过期"),
    "revoked": _("已吊销"),
    "password": _("密码已修改，已失效"),
}


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = (
        "prefix_shown",
        "name",
        "user",
        "state",
        "created_at",
        "expires_at",
        "last_used_at",
        "two_factor",
    )
    list_filter = ("two_factor", "revoked_reason")
    search_fields = ("prefix", "name", "user__username", "user__full_name")
    list_select_related = ("user",)
    fields = (
        "prefix_shown",
        "name",
        "user",
        "state",
        "two_factor",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
        "revoked_reason",
    )
    readonly_fields = fields
    actions = ("revoke",)

    @admin.display(description=_("令牌（前缀）"), ordering="prefix")
    def prefix_shown(self, obj: ApiToken) -> str:
        return f"{obj.prefix}…"

    @admin.display(description=_("状态"))
    def state(self, obj: ApiToken) -> str:
        return str(STATE_LABELS[state_of(obj)])

    @admin.action(description=_("吊销所选令牌"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        count = sum(
            token_revoke(token=t, actor=request.user, reason=ApiToken.Reason.ADMIN)
            for t in queryset.select_related("user")
        )
        self.message_user(request, _("已吊销 %(count)d 个令牌。") % {"count": count})

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The revoke action is the only change; the form stays read-only.
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
