"""Notify's reads."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet

from huiying.notify.models import Channel, Delivery, Message


def inbox(user: Any, *, unread_only: bool = False) -> QuerySet[Message]:
    qs = Message.objects.filter(user_id=user.pk)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    # The person's own outside deliveries, shown as the message's delivery log.
    own = Delivery.objects.filter(unit__isnull=True).order_by("channel")
    return qs.prefetch_related(Prefetch("deliveries", queryset=own)).order_by("-created_at", "-id")


def unread_count(user: Any) -> int:
    return Message.objects.filter(user_id=user.pk, read_at__isnull=True).count()


def failing_deliveries() -> QuerySet[Delivery]:
    """Failed ones, and pending ones that have failed at least once (being retried)."""
    return (
        Delivery.objects.filter(
            Q(state=Delivery.State.FAILED) | Q(state=Delivery.State.PENDING, attempts__gt=0)
        )
        .select_related("message", "message__user", "unit")
        .order_by("-created_at", "-id")
    )


def failing_by_channel() -> list[dict[str, Any]]:
    rows = list(
        failing_deliveries()
        .order_by()
        .values("channel", "state")
        .annotate(n=Count("id"))
        .order_by("channel", "state")
    )
    for row in rows:
        row["label"] = Channel(row["channel"]).label
    return rows
