"""Back office for people: accounts and, inline, their roles in units (audited)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from huiying.accounts import admin_lockout, admin_tokens  # noqa: F401  (register their admins)
from huiying.accounts.admin_permissions import PermissionLabelsMixin
from huiying.accounts.admin_two_factor import two_factor_reset_view
from huiying.accounts.models import TwoFactorDevice, User
from huiying.accounts.services import record_user_change
from huiying.orgs.admin import MembershipInlineBase


class MembershipInline(MembershipInlineBase):
    fields = ("unit", "role", "is_active")
    autocomplete_fields = ("unit",)


@admin.register(User)
class UserAdmin(PermissionLabelsMixin, DjangoUserAdmin):  # type: ignore[type-arg]
    list_display = ("username", "full_name", "phone", "is_active", "is_staff", "last_login")
    search_fields = ("username", "full_name", "phone")
    # Django's own layout, less its 名字/姓氏 (first and last name): people here have one 姓名.
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("姓名与联系方式"), {"fields": ("full_name", "phone", "email")}),
        (
            _("权限"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("两步验证"), {"fields": ("two_factor_state",)}),
        (_("重要日期"), {"fields": ("last_login", "date_joined", "password_changed_at")}),
    )
    readonly_fields = ("two_factor_state", "password_changed_at")
    add_fieldsets = (
        *(DjangoUserAdmin.add_fieldsets or ()),
        (_("姓名与联系方式"), {"fields": ("full_name", "phone")}),
    )
    inlines = (MembershipInline,)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        # The password hash never goes into the log; that it changed does.
        record_user_change(
            user=obj, changed=form.changed_data, created=not change, actor=request.user
        )

    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        # One transaction: the new password and its log entry are stored together or not at all.
        with transaction.atomic():
            response = super().user_change_password(request, id, form_url)
            if request.method == "POST" and response.status_code == 302:
                record_user_change(
                    user=self.get_object(request, unquote(id)),
                    changed=["password"],
                    created=False,
                    actor=request.user,
                )
        return response

    @admin.display(description=_("两步验证"))
    def two_factor_state(self, obj: Any) -> str:
        if obj is None or obj.pk is None:
            return str(_("未启用"))
        device = TwoFactorDevice.objects.filter(user_id=obj.pk).first()
        if device is None:
            return str(_("未启用"))
        url = reverse("admin:accounts_user_two_factor_reset", args=[obj.pk])
        return format_html(
            '{}　<a class="button" href="{}">{}</a>',
            _("已启用（%(when)s）")
            % {"when": f"{timezone.localtime(device.confirmed_at):%Y-%m-%d %H:%M}"},
            url,
            _("重置两步验证"),
        )

    def get_urls(self) -> list[Any]:
        return [
            path(
                "<id>/two-factor/reset/",
                self.admin_site.admin_view(two_factor_reset_view(self)),
                name="accounts_user_two_factor_reset",
            ),
            *super().get_urls(),
        ]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # People are deactivated (is_active), never deleted: forms and the log name them.
        return False
