"""网信办 edit the message templates and the units' channels here; the delivery log is read-only."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db import transaction
from django.http import HttpRequest

from huiying.common.audit import record_event
from huiying.notify.models import ChannelPreference, Delivery, Message, MessageTemplate
from huiying.notify.rendering import TemplateSyntaxProblem, placeholders


class MessageTemplateForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = MessageTemplate
        fields = ("code", "name", "subject", "body")

    def _check(self, name: str) -> str:
        text = str(self.cleaned_data.get(name) or "")
        try:
            placeholders(text)
        except TemplateSyntaxProblem as exc:
            raise forms.ValidationError(str(exc)) from None
        return text

    def clean_subject(self) -> str:
        return self._check("subject")

    def clean_body(self) -> str:
        return self._check("body")


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = MessageTemplateForm
    list_display = ("code", "name", "subject", "updated_at")
    search_fields = ("code", "name", "subject")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ("code",) if obj is not None else ()

    def save_model(
        self, request: HttpRequest, obj: MessageTemplate, form: Any, change: bool
    ) -> None:
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            record_event(
                actor=request.user,
                action="notify.template",
                object_type="notify_template",
                object_id=obj.pk,
                after={"code": obj.code, "subject": obj.subject, "body": obj.body},
            )


@admin.register(ChannelPreference)
class ChannelPreferenceAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = (
        "__str__",
        "email_enabled",
        "sms_enabled",
        "wecom_enabled",
        "dingtalk_enabled",
        "webhook_enabled",
        "quiet_hours",
    )
    list_filter = ("wecom_enabled", "dingtalk_enabled", "webhook_enabled", "quiet_hours")
    autocomplete_fields = ("unit",)
    raw_id_fields = ("user",)
    fieldsets = (
        (None, {"fields": ("user", "unit", "quiet_hours")}),
        ("个人渠道", {"fields": ("email_enabled", "email", "sms_enabled", "mobile")}),
        (
            "单位渠道",
            {
                "fields": (
                    "wecom_enabled",
                    "wecom_url",
                    "dingtalk_enabled",
                    "dingtalk_url",
                    "dingtalk_secret",
                    "webhook_enabled",
                    "webhook_url",
                    "webhook_secret",
                )
            },
        ),
    )

    def save_model(
        self, request: HttpRequest, obj: ChannelPreference, form: Any, change: bool
    ) -> None:
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            record_event(
                actor=request.user,
                action="notify.preference",
                object_type="notify_preference",
                object_id=obj.pk,
                meta={"changed": list(form.changed_data)},
            )


class DeliveryInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Delivery
    extra = 0
    can_delete = False
    fields = ("channel", "address", "state", "attempts", "response_code", "last_error", "sent_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("subject", "user", "template", "urgent", "created_at", "read_at")
    list_filter = ("template", "urgent")
    search_fields = ("subject", "dedupe_key")
    readonly_fields = (
        "user",
        "template",
        "subject",
        "body",
        "link",
        "urgent",
        "dedupe_key",
        "event_id",
        "created_at",
        "read_at",
    )
    inlines = (DeliveryInline,)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("pk", "channel", "address", "state", "attempts", "response_code", "created_at")
    list_filter = ("state", "channel")
    readonly_fields = [f.name for f in Delivery._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
