"""Admin for the working-day calendar (staff enter each year's State Council schedule)
and a read-only view of the audit log."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import transaction
from django.db.models import Model, QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from huiying.common import outbox
from huiying.common.audit import record_event
from huiying.common.models import (
    AuditEvent,
    CalendarYear,
    Holiday,
    OutboxDelivery,
    OutboxEvent,
)

# Django's defaults read "Django 管理" / "Django 站点管理员".
admin.site.site_header = _("回应 · 后台管理")
admin.site.site_title = _("回应后台")
admin.site.index_title = _("后台管理")


def _snapshot(obj: Model, fields: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in fields}


class _AuditedCalendarAdmin(admin.ModelAdmin):
    """Calendar rows move every deadline, so each change made here is put on the audit chain."""

    audited_fields: tuple[str, ...] = ()

    def _record(
        self, request: HttpRequest, action: str, obj: Model, before: dict[str, Any] | None
    ) -> None:
        record_event(
            actor=request.user if request.user.is_authenticated else None,
            action=action,
            object_type=obj._meta.label_lower,
            object_id=str(obj.pk),
            before=before,
            after=None if action.endswith(".delete") else _snapshot(obj, self.audited_fields),
            meta={"via": "admin"},
        )

    def save_model(self, request: HttpRequest, obj: Any, form: ModelForm, change: bool) -> None:
        before = None
        if change and obj.pk is not None:
            old = type(obj).objects.filter(pk=obj.pk).first()
            before = _snapshot(old, self.audited_fields) if old is not None else None
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            self._record(request, f"calendar.{'change' if change else 'add'}", obj, before)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        before = _snapshot(obj, self.audited_fields)
        pk = obj.pk
        with transaction.atomic():
            super().delete_model(request, obj)
            obj.pk = pk  # Django clears it on delete; the event still names the row.
            self._record(request, "calendar.delete", obj, before)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        with transaction.atomic():
            for obj in list(queryset):
                self.delete_model(request, obj)


@admin.register(Holiday)
class HolidayAdmin(_AuditedCalendarAdmin):
    audited_fields = ("date", "kind", "name")
    list_display = ("date", "weekday", "kind", "name")
    list_filter = ("kind",)
    search_fields = ("name",)
    date_hierarchy = "date"
    ordering = ("-date",)

    @admin.display(description="星期")
    def weekday(self, obj: Holiday) -> str:
        return "一二三四五六日"[obj.date.weekday()]


@admin.register(CalendarYear)
class CalendarYearAdmin(_AuditedCalendarAdmin):
    audited_fields = ("year", "source", "note")
    list_display = ("year", "source", "note", "holiday_count", "workday_count")
    ordering = ("-year",)

    @admin.display(description="放假天数")
    def holiday_count(self, obj: CalendarYear) -> int:
        return Holiday.objects.filter(date__year=obj.year, kind=Holiday.Kind.HOLIDAY).count()

    @admin.display(description="调休上班天数")
    def workday_count(self, obj: CalendarYear) -> int:
        return Holiday.objects.filter(date__year=obj.year, kind=Holiday.Kind.WORKDAY).count()


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Viewing only: the chain is append-only and written by the application alone."""

    list_display = ("seq", "created_at", "actor_label", "action", "object_type", "object_id")
    list_filter = ("action", "object_type")
    search_fields = ("object_id", "actor_label", "reason")
    date_hierarchy = "created_at"
    ordering = ("-seq",)
    list_select_related = ("actor",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in AuditEvent._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class _ViewOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(OutboxEvent)
class OutboxEventAdmin(_ViewOnly):
    list_display = ("id", "created_at", "topic", "aggregate_type", "aggregate_id")
    list_filter = ("topic",)
    search_fields = ("aggregate_id",)
    ordering = ("-id",)


@admin.register(OutboxDelivery)
class OutboxDeliveryAdmin(_ViewOnly):
    """Staff see what a consumer failed on and put it back in the queue once it is fixed."""

    list_display = ("event", "consumer", "state", "attempts", "available_at", "last_error")
    list_filter = ("state", "consumer")
    ordering = ("-id",)
    list_select_related = ("event",)
    actions = ("retry",)

    @admin.action(description=_("重试所选的失败投递"))
    def retry(self, request: HttpRequest, queryset: QuerySet[OutboxDelivery]) -> None:
        n = outbox.delivery_retry(
            delivery_ids=list(queryset.values_list("pk", flat=True)), actor=request.user
        )
        self.message_user(request, _t("已重新排队 %(n)d 个失败的投递。") % {"n": n})
