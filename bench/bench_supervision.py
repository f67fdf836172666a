"""Benchmark of the supervision sweep (催办督办) on PostgreSQL.

    .venv/bin/python bench/bench_supervision.py [--forms 100000] [--overdue 10000] [--keep]

(a) The sweep over N open forms (each with its open reply and feedback clocks, the sign clock
    done): after a first sweep has planned every clock, how long "find what is due" takes
    (the one query over all open clocks and their tracks), and a whole steady-state sweep.
    Target ≤ 1 s at 100,000 forms.
(b) Escalation end to end for M overdue forms: each form's missed clock gets its escalation
    step recorded (unique per clock), an audited event in the hash chain and a
    ``notify.request`` outbox row, in the sweep's transactions. Reports forms per second.
    Target ≥ 2,000/s (django-helpdesk 2.6.1's ``escalate_tickets``: about 180 tickets/s).

Database: ``hy_supervision_bench`` on BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432/),
dropped and created afresh unless --keep. Forms and clocks are loaded with bulk_create (the
services' per-form path is not what is measured); everything timed goes through
``huiying.supervision.sweep.supervision_sweep`` as the worker runs it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from support import VAR, database_url  # noqa: E402

DB_NAME = "hy_supervision_bench"
CHUNK = 5000


def setup(keep: bool) -> None:
    os.environ["DATABASE_URL"] = database_url("postgres", DB_NAME, fresh=not keep)
    os.environ["HUIYING_VAR_DIR"] = str(VAR / "supervision")
    (VAR / "supervision").mkdir(parents=True, exist_ok=True)
    if not keep:
        key = VAR / "supervision" / "audit" / "audit.key"
        key.unlink(missing_ok=True)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def load(n: int, *, category: str, now: dt.datetime, overdue: bool, start_seq: int) -> None:
    """N issued forms with their clocks: sign done, reply and feedback open."""
    from huiying.accounts.models import User
    from huiying.cases.models import Assignment, CaseThread, Clock, Status
    from huiying.orgs.models import Unit

    unit, _ = Unit.objects.get_or_create(
        code="bench-unit", defaults={"name": "基准测试单位", "kind": Unit.Kind.CITY_DEPARTMENT}
    )
    user, _ = User.objects.get_or_create(username="bench", defaults={"full_name": "基准"})
    thread, _ = CaseThread.objects.get_or_create(title="bench")
    rnd = random.Random(start_seq)
    for first in range(0, n, CHUNK):
        size = min(CHUNK, n - first)
        forms = Assignment.objects.bulk_create(
            [
                Assignment(
                    number=f"B{start_seq + first + i}",
                    thread=thread,
                    unit=unit,
                    title=f"基准交办单 {start_seq + first + i}",
                    summary="基准",
                    category=category,
                    reply_channel="same_platform",
                    status=Status.SIGNED,
                    drafter=user,
                    issued_at=now,
                )
                for i in range(size)
            ]
        )
        clocks = []
        for f in forms:
            if overdue:
                started = now - dt.timedelta(days=10)
                due = now - dt.timedelta(days=rnd.uniform(3, 8))
            else:
                # Issued over the last 5 days, due over the next 1–10 days: most are quiet,
                # a few cross a warning point or their due time around now.
                started = now - dt.timedelta(hours=rnd.uniform(1, 120))
                due = now + dt.timedelta(hours=rnd.uniform(-4, 240))
            common = {
                "assignment": f,
                "owner": Clock.Owner.UNIT,
                "unit": unit,
                "measure": Clock.Measure.WORKING,
                "started_at": started,
            }
            clocks += [
                Clock(
                    kind="sign",
                    due_at=started + dt.timedelta(hours=4),
                    original_due_at=started + dt.timedelta(hours=4),
                    done_at=started + dt.timedelta(hours=1),
                    **common,
                ),
                Clock(
                    kind="reply",
                    due_at=due - dt.timedelta(hours=24),
                    original_due_at=due - dt.timedelta(hours=24),
                    **common,
                ),
                Clock(kind="feedback", due_at=due, original_due_at=due, **common),
            ]
        Clock.objects.bulk_create(clocks, batch_size=CHUNK)
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("ANALYZE")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--forms", type=int, default=100_000)
    parser.add_argument("--overdue", type=int, default=10_000)
    parser.add_argument("--keep", action="store_true", help="reuse the database as it is")
    args = parser.parse_args()
    setup(args.keep)

    from django.db import connection, transaction
    from django.utils import timezone

    from huiying.cases.clocks import open_clocks
    from huiying.cases.models import Assignment
    from huiying.common.models import AuditEvent, OutboxEvent
    from huiying.supervision.models import LadderPolicy, Step
    from huiying.supervision.sweep import due_query, find_due, supervision_sweep

    now = timezone.now()
    if not args.keep:
        t = time.perf_counter()
        load(args.forms, category="vital_interest", now=now, overdue=False, start_seq=0)
        print(f"loaded {args.forms:,} forms in {time.perf_counter() - t:.1f} s", file=sys.stderr)
        t = time.perf_counter()
        first = supervision_sweep(now)
        print(
            f"first sweep (plans every clock): {time.perf_counter() - t:.1f} s {first}",
            file=sys.stderr,
        )
    open_count = open_clocks().count()

    # (a) steady state: what is due a minute later.
    later = now + dt.timedelta(minutes=1)
    finds = []
    for _ in range(7):
        t = time.perf_counter()
        with transaction.atomic():
            rows = find_due(later)
        finds.append(time.perf_counter() - t)
    sweeps = []
    for i in range(5):
        t = time.perf_counter()
        result = supervision_sweep(later + dt.timedelta(minutes=i))
        sweeps.append(time.perf_counter() - t)
    with connection.cursor() as cur:
        sql, params = due_query(later).query.sql_with_params()
        cur.execute("EXPLAIN (ANALYZE, BUFFERS OFF) " + sql, params)
        plan = "\n".join(r[0] for r in cur.fetchall())
    print(plan, file=sys.stderr)
    print(
        f"(a) sweep over {args.forms:,} open forms ({open_count:,} open clocks): "
        f"find what is due {statistics.median(finds) * 1000:.0f} ms (median of 7, {len(rows)} due); "
        f"whole sweep {statistics.median(sweeps) * 1000:.0f} ms (median of 5, last {result}) "
        f"— target ≤ 1000 ms"
    )

    # (b) escalation end to end.
    LadderPolicy.objects.update_or_create(
        category="complaint",
        severity="",
        defaults={"warn_fractions": [], "reminders_before_escalation": 0},
    )
    seq = Step.objects.count()
    load(
        args.overdue,
        category="complaint",
        now=now,
        overdue=True,
        start_seq=10_000_000 + Assignment.objects.count(),
    )
    # Only the feedback clock of each overdue form is open.
    from huiying.cases.models import Clock

    Clock.objects.filter(assignment__category="complaint", kind="reply").update(done_at=now)
    audit_before = AuditEvent.objects.count()
    notes_before = OutboxEvent.objects.filter(topic="notify.request").count()
    t = time.perf_counter()
    result = supervision_sweep(later + dt.timedelta(minutes=10))
    elapsed = time.perf_counter() - t
    escalated = result["escalation"]
    audited = AuditEvent.objects.count() - audit_before
    queued = OutboxEvent.objects.filter(topic="notify.request").count() - notes_before
    assert escalated == args.overdue, (escalated, result)
    assert audited >= args.overdue and queued >= args.overdue, (audited, queued)
    print(
        f"(b) escalation end to end: {args.overdue:,} overdue forms in {elapsed:.2f} s = "
        f"{args.overdue / elapsed:,.0f} forms/s (steps {Step.objects.count() - seq:,}, "
        f"audit events {audited:,}, notify.request {queued:,}) — target ≥ 2,000/s; "
        f"django-helpdesk escalate_tickets ≈ 180/s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
