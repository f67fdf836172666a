"""Permissions named in Chinese in the admin's pickers (user and group pages).

Django stores each permission's name in English when the tables are created ("Can change
unit"), whatever the language; the admin lists those stored names. The four standard ones
are named here from their code and the model's (Chinese) names instead.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.models import Group, Permission
from django.db.models import ManyToManyField
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

ACTIONS = {"add": _("增加"), "change": _("修改"), "delete": _("删除"), "view": _("查看")}


def permission_label(permission: Permission) -> str:
    """ "单位与人员角色 | 单位 | 修改"; a custom permission keeps the name it was given."""
    model = permission.content_type.model_class()
    action, _sep, model_name = permission.codename.partition("_")
    if model is None or action not in ACTIONS or model_name != model._meta.model_name:
        return str(permission)
    app = model._meta.app_config.verbose_name
    return f"{app} | {model._meta.verbose_name} | {ACTIONS[action]}"


class PermissionChoiceField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return permission_label(obj)


class PermissionLabelsMixin:
    """For a ModelAdmin: the many-to-many fields to permissions get the Chinese labels."""

    def formfield_for_manytomany(
        self, db_field: ManyToManyField[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> Any:
        if db_field.related_model is Permission:
            kwargs["form_class"] = PermissionChoiceField
        return super().formfield_for_manytomany(  # type: ignore[misc]
            db_field, request, **kwargs
        )


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(PermissionLabelsMixin, DjangoGroupAdmin):
    pass
