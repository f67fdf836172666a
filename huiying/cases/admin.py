"""Back office: 网信办 edits the deadline policy here. Forms are read-only: they change only
through their services, so that every change is checked and audited."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from huiying.cases.models import Assignment, Clock, DeadlinePolicy, FormNumberSequence


@admin.register(DeadlinePolicy)
class DeadlinePolicyAdmin(admin.ModelAdmin):
    list_display = (
        "category",
        "severity",
        "measure",
        "sign_within",
        "reply_within",
        "feedback_within",
    )
    list_editable = ("measure", "sign_within", "reply_within", "feedback_within")
    list_filter = ("measure", "severity")
    ordering = ("category", "severity")


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any | None = None) -> bool:
        return False


@admin.register(Assignment)
class AssignmentAdmin(ReadOnlyAdmin):
    list_display = ("number", "title", "unit", "status", "category", "severity", "issued_at")
    list_filter = ("status", "category", "severity")
    search_fields = ("number", "title")
    list_select_related = ("unit",)


@admin.register(FormNumberSequence)
class FormNumberSequenceAdmin(ReadOnlyAdmin):
    list_display = ("year", "last")


@admin.register(Clock)
class ClockAdmin(ReadOnlyAdmin):
    """The clocks are written by the form's services only; here they can be looked up."""

    list_display = (
        "assignment",
        "kind",
        "round",
        "owner",
        "due_at",
        "original_due_at",
        "done_at",
        "stopped_at",
    )
    list_filter = ("kind", "owner", "measure")
    search_fields = ("assignment__number", "assignment__title")
    list_select_related = ("assignment",)
    date_hierarchy = "due_at"
