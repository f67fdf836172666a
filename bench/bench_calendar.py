"""Benchmark of the deadline engine: N random deadlines (working hours, working days, natural).

    .venv/bin/python bench/bench_calendar.py [-n 100000] [--seed 1]

Uses the calendar in the configured database, or the chinesecalendar package when the
database is empty or not migrated, so it runs on a fresh checkout too.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.db import DatabaseError  # noqa: E402

from huiying.common.workcalendar import (  # noqa: E402
    WorkCalendar,
    calendar_from_database,
    calendar_from_package,
)

WORKING_HOURS = [Decimal(x) for x in ("0.5", "1", "2", "4", "8", "16", "24", "40", "2.5")]
WORKING_DAYS = [1, 2, 3, 5, 10, 15]
NATURAL_HOURS = [Decimal(x) for x in ("0.5", "1", "5", "12", "24", "72")]


def load_calendar() -> tuple[WorkCalendar, str]:
    try:
        calendar = calendar_from_database()
    except DatabaseError:
        return calendar_from_package(), "chinesecalendar（数据库未迁移）"
    if not calendar.covered_years:
        return calendar_from_package(), "chinesecalendar（数据库为空）"
    return calendar, "数据库"


def make_jobs(n: int, seed: int, tz: dt.tzinfo) -> list[tuple[str, dt.datetime, Decimal | int]]:
    """Starts spread over 2024–2026 to the minute; 60% working hours, 20% days, 20% natural."""
    rng = random.Random(seed)
    base = dt.datetime(2024, 1, 1, tzinfo=tz)
    span_minutes = 3 * 365 * 24 * 60
    jobs: list[tuple[str, dt.datetime, Decimal | int]] = []
    for _ in range(n):
        start = base + dt.timedelta(minutes=rng.randrange(span_minutes))
        roll = rng.random()
        if roll < 0.6:
            jobs.append(("working_hours", start, rng.choice(WORKING_HOURS)))
        elif roll < 0.8:
            jobs.append(("working_days", start, rng.choice(WORKING_DAYS)))
        else:
            jobs.append(("natural_hours", start, rng.choice(NATURAL_HOURS)))
    return jobs


def run(calendar: WorkCalendar, jobs: list[tuple[str, dt.datetime, Decimal | int]]) -> float:
    started = time.perf_counter()
    for measure, start, amount in jobs:
        if measure == "working_hours":
            calendar.add_working_hours(start, amount)
        elif measure == "working_days":
            calendar.add_working_days(start, int(amount))
        else:
            calendar.add_natural_hours(start, amount)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=100_000, help="number of deadlines")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    calendar, source = load_calendar()
    jobs = make_jobs(args.n, args.seed, calendar.tz)
    elapsed = run(calendar, jobs)
    print(f"calendar source: {source}", file=sys.stderr)
    print(f"calendar: {args.n} deadlines in {elapsed:.2f} s = {args.n / elapsed:.0f} deadlines/s")


if __name__ == "__main__":
    main()
