from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from huiying.supervision.models import LadderPolicy, Referral, Step, SupervisionOrder
from huiying.supervision.sweep import replan_all


@admin.register(LadderPolicy)
class LadderPolicyAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "warn_fractions",
        "remind_interval_hours",
        "remind_measure",
        "reminders_before_escalation",
        "order_days",
    )

    def save_model(self, request: HttpRequest, obj: LadderPolicy, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        replan_all()  # the open clocks are planned again by the next sweep


@admin.register(Step)
class StepAdmin(admin.ModelAdmin):
    list_display = ("assignment", "kind", "n", "number", "happened_at")
    list_filter = ("kind",)
    readonly_fields = [f.name for f in Step._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(SupervisionOrder)
class OrderAdmin(admin.ModelAdmin):
    list_display = ("number", "assignment", "status", "issued_at", "due_at")
    readonly_fields = [f.name for f in SupervisionOrder._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Referral)
class ReferralAdmin(admin.ModelAdmin):
    list_display = ("number", "assignment", "status", "outcome", "referred_at")
    readonly_fields = [f.name for f in Referral._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
