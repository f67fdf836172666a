"""Seed the working-day calendar with every year the chinesecalendar package knows.

Self-contained on purpose (no import of application code), as data migrations must keep
working after the application changes. Later years are entered by staff in the admin or
with ``huiying holidays import``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import migrations

SOURCE = "chinese-calendar"


def _package_rows() -> tuple[dict[dt.date, tuple[str, str]], set[int]]:
    from chinese_calendar import constants

    chinese = {h.value: str(getattr(h, "chinese", h.value)) for h in constants.Holiday}
    rows: dict[dt.date, tuple[str, str]] = {}
    for day, name in constants.holidays.items():
        rows[day] = ("holiday", chinese.get(name, name))
    for day, name in constants.workdays.items():
        rows[day] = ("workday", f"{chinese.get(name, name)}调休上班")
    return rows, {day.year for day in rows}


def seed(apps: Any, schema_editor: Any) -> None:
    Holiday = apps.get_model("common", "Holiday")
    CalendarYear = apps.get_model("common", "CalendarYear")
    alias = schema_editor.connection.alias
    rows, years = _package_rows()
    # Rows staff already typed in win over the package.
    existing = set(Holiday.objects.using(alias).values_list("date", flat=True))
    Holiday.objects.using(alias).bulk_create(
        [
            Holiday(date=day, kind=kind, name=name)
            for day, (kind, name) in sorted(rows.items())
            if day not in existing
        ]
    )
    loaded = set(CalendarYear.objects.using(alias).values_list("year", flat=True))
    CalendarYear.objects.using(alias).bulk_create(
        [
            CalendarYear(year=year, source=SOURCE, note="随系统安装自动载入")
            for year in sorted(years - loaded)
        ]
    )


def unseed(apps: Any, schema_editor: Any) -> None:
    Holiday = apps.get_model("common", "Holiday")
    CalendarYear = apps.get_model("common", "CalendarYear")
    alias = schema_editor.connection.alias
    rows, years = _package_rows()
    # Only what this migration could have written: same date and kind, package source.
    for kind in ("holiday", "workday"):
        dates = [day for day, (row_kind, _) in rows.items() if row_kind == kind]
        Holiday.objects.using(alias).filter(kind=kind, date__in=dates).delete()
    CalendarYear.objects.using(alias).filter(year__in=years, source=SOURCE).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("common", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(seed, unseed),
    ]
