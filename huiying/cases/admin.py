"""Back office: 网信办 edits the deadline policy here. Forms are read-only: they change only
through their services, so that every change is checked and audited."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

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


# A few internal fields have no Chinese name on the model (naming them there would be a
# migration of this app); the read-only pages show them through these labelled methods.


@admin.register(Assignment)
class AssignmentAdmin(ReadOnlyAdmin):
    list_display = ("number", "title", "unit", "status", "category", "severity", "issued_at")
    list_filter = ("status", "category", "severity")
    search_fields = ("number", "title")
    list_select_related = ("unit",)
    # number_year/number_seq are the parts of the number shown above.
    exclude = ("number_year", "number_seq", "thread", "issued_content_hash")
    readonly_fields = ("thread_shown", "content_hash_shown")

    @admin.display(description=_("交办事项"))
    def thread_shown(self, obj: Assignment) -> str:
        return str(obj.thread)

    @admin.display(description=_("交办内容摘要"))
    def content_hash_shown(self, obj: Assignment) -> str:
        return obj.issued_content_hash


@admin.register(FormNumberSequence)
class FormNumberSequenceAdmin(ReadOnlyAdmin):
    list_display = ("year_shown", "last_shown")
    fields = readonly_fields = ("year_shown", "last_shown")

    @admin.display(description=_("年份"), ordering="year")
    def year_shown(self, obj: FormNumberSequence) -> int:
        return obj.year

    @admin.display(description=_("已用到的流水号"), ordering="last")
    def last_shown(self, obj: FormNumberSequence) -> int:
        return obj.last


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
