"""The runs of periodic jobs, read-only: which worker ran what, when, and whether it failed."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from huiying.worker.models import PeriodicRun


@admin.register(PeriodicRun)
class PeriodicRunAdmin(admin.ModelAdmin):
    list_display = ("job", "period", "outcome", "holder", "claimed_at", "finished_at", "attempts")
    list_filter = ("outcome", "job")
    ordering = ("-period", "job")
    date_hierarchy = "period"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
