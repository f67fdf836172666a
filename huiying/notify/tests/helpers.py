from __future__ import annotations

from typing import Any

from django.db import transaction

from huiying.common import outbox
from huiying.common.models import OutboxDelivery
from huiying.notify.models import ChannelPreference


def request(
    *,
    template: str = "supervision.reminder",
    recipients: dict[str, Any],
    context: dict[str, Any] | None = None,
    urgent: bool = False,
    dedupe_key: str = "test:1",
    link: str = "/forms/12/",
) -> None:
    """Emit a notify.request as a sender would, then let the outbox hand it to notify."""
    with transaction.atomic():
        outbox.emit(
            "notify.request",
            aggregate_type="assignment",
            aggregate_id=12,
            payload={
                "template": template,
                "recipients": recipients,
                "context": context
                or {
                    "subject": "市住建局交办单逾期未签收",
                    "body": "请尽快签收并办理。",
                    "form_number": "通网舆交〔2025〕12号",
                    "form_title": "某小区物业纠纷",
                    "unit_name": "市住房和城乡建设局",
                    "clock_label": "签收",
                    "overdue_text": "2小时",
                    "due_at": "2025-09-30T10:00:00+08:00",
                },
                "link": link,
                "urgent": urgent,
                "dedupe_key": dedupe_key,
            },
        )
    outbox.drain("notify.requests")
    stuck = OutboxDelivery.objects.filter(consumer="notify.requests").exclude(state="done")
    assert not stuck.exists(), [d.last_error for d in stuck]


def person_channels(user: Any, **fields: Any) -> ChannelPreference:
    pref, _ = ChannelPreference.objects.update_or_create(user=user, defaults=fields)
    return pref


def unit_channels(unit: Any, **fields: Any) -> ChannelPreference:
    pref, _ = ChannelPreference.objects.update_or_create(unit=unit, defaults=fields)
    return pref
