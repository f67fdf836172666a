"""Gap-free document numbers per kind and year: 催办通知, 督办单, 问责移送."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone

from huiying.supervision.models import NoticeSequence

PREFIX_SETTINGS = {
    "reminder": "HUIYING_REMINDER_NUMBER_PREFIX",
    "order": "HUIYING_ORDER_NUMBER_PREFIX",
    "referral": "HUIYING_REFERRAL_NUMBER_PREFIX",
}


def take_numbers(kind: str, year: int, count: int) -> list[int]:
    """The next ``count`` numbers of ``kind`` in ``year``; the sequence row stays locked
    until the caller's transaction ends, so a rolled-back step leaves no gap."""
    NoticeSequence.objects.get_or_create(kind=kind, year=year)
    seq = NoticeSequence.objects.select_for_update().get(kind=kind, year=year)
    first = seq.last + 1
    seq.last += count
    seq.save(update_fields=["last"])
    return list(range(first, seq.last + 1))


def next_number(kind: str, now: dt.datetime) -> tuple[str, int, int]:
    """(text, year, seq) of one new document, e.g. 通网督〔2026〕3号."""
    year = timezone.localtime(now).year
    (seq,) = take_numbers(kind, year, 1)
    prefix = getattr(settings, PREFIX_SETTINGS[kind])
    return f"{prefix}〔{year}〕{seq}号", year, seq
