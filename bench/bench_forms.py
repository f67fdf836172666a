"""Benchmark of the pages people wait on, at a city's scale, on PostgreSQL.

    .venv/bin/python bench/bench_forms.py [--forms 100000] [--events 1000000] [--requests 200]

Loads N forms and M audit events into PostgreSQL (DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/huiying_bench; the database is created and migrated if
missing), then times the reviewer's queue and the handler's inbox through the full Django
stack (django.test.Client, force_login) and the deadline engine. Loading is skipped when the
database already holds that many rows (it tops up when asked for more). Target: p95 < 100 ms.

The load bypasses the services on purpose (bulk_create and COPY): the audit events still form
a valid hash chain, computed here with huiying.common.audit.compute_hash.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/huiying_bench"
TARGET_P95_MS = 100.0


def ensure_database(url: str) -> None:
    """CREATE DATABASE if it does not exist (connecting to the server's `postgres` database)."""
    from urllib.parse import urlparse

    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("select 1 from pg_database where datname = %s", (name,)).fetchone()
        if not exists:
            print(f"creating database {name}", file=sys.stderr)
            conn.execute(f'CREATE DATABASE "{name}"')


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


# --- loading ------------------------------------------------------------------------------------

# Where forms end up, by share: most of a city's history is closed.
STATUS_WEIGHTS = {
    "closed": 70.0,
    "reassigned": 2.0,
    "withdrawn": 2.0,
    "issued": 4.0,
    "signed": 4.0,
    "responded": 5.0,
    "feedback_filed": 3.5,
    "rework": 1.5,
    "relief_requested": 0.5,
    "in_review": 1.5,
    "draft": 1.5,
    "returned": 0.5,
}
OPEN_UNIT = {"issued", "signed", "responded", "feedback_filed", "rework", "relief_requested"}
UNISSUED = {"draft", "in_review", "returned"}
TERMINAL = {"closed", "reassigned", "withdrawn"}
HISTORY_DAYS = 5 * 365
RECENT_DAYS = 45  # open forms are recent ones
TOPICS = [
    ("老旧小区加装电梯进展缓慢", "vital_interest"),
    ("工地夜间施工噪音扰民", "complaint"),
    ("学校周边上下学交通拥堵", "vital_interest"),
    ("建筑工地拖欠农民工工资", "image"),
    ("农贸市场环境卫生差", "vital_interest"),
    ("化工园区周边夜间异味", "vital_interest"),
    ("共享单车乱停放", "vital_interest"),
    ("公交线路调整方案", "policy"),
    ("物业费上涨未经业主大会表决", "complaint"),
    ("网传不实信息澄清", "image"),
    ("执法人员态度粗暴", "complaint"),
    ("暴雨积水车辆被困", "emergency_hazard"),
    ("厂房火灾", "emergency_incident"),
]
PLACES = [
    "崇川区",
    "通州区",
    "海门区",
    "如东县",
    "启东市",
    "如皋市",
    "海安市",
    "开发区",
    "苏通园区",
]


def _weighted(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def ensure_people(units: list[Any]) -> dict[str, Any]:
    """A monitor, two reviewers and one handler per unit (bulk: the bench may skip the services)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    from huiying.accounts.models import TwoFactorDevice
    from huiying.accounts.totp import new_secret
    from huiying.orgs.models import Membership, Unit

    User = get_user_model()
    cac = Unit.objects.get(office=Unit.Office.CAC)
    wanted = [("bench_monitor", cac, "monitor"), ("bench_reviewer", cac, "reviewer")]
    wanted += [("bench_reviewer2", cac, "reviewer")]
    wanted += [(f"bench_h_{u.code}", u, "handler") for u in units]
    existing = set(
        User.objects.filter(username__startswith="bench_").values_list("username", flat=True)
    )
    password = make_password("bench-password-2026")
    User.objects.bulk_create(
        [
            User(username=n, full_name=n, password=password)
            for n, _u, _r in wanted
            if n not in existing
        ],
        batch_size=1000,
    )
    users = {u.username: u for u in User.objects.filter(username__startswith="bench_")}
    Membership.objects.bulk_create(
        [Membership(user=users[n], unit=u, role=r) for n, u, r in wanted],
        ignore_conflicts=True,
        batch_size=1000,
    )
    # Reviewers must sign in with a code (HUIYING_2FA_REQUIRED_ROLES): enrolled, they reach
    # their pages as in production instead of the enrolment page.
    TwoFactorDevice.objects.bulk_create(
        [
            TwoFactorDevice(user=users[n], secret=new_secret())
            for n, _u, r in wanted
            if r == "reviewer"
        ],
        ignore_conflicts=True,
    )
    return users


def load_forms(target: int, rng: random.Random) -> None:
    from django.db import connection, transaction
    from django.db.models import Max

    from huiying.cases.deadlines import limits_for
    from huiying.cases.models import (
        Assignment,
        CaseThread,
        Clock,
        ExtensionRequest,
        FormNumberSequence,
        ReliefRequest,
        SourceItem,
    )
    from huiying.common.workcalendar import calendar_from_database
    from huiying.demo.builder import import_directory
    from huiying.orgs.models import Unit

    have = Assignment.objects.count()
    if have >= target:
        print(f"forms: {have} already loaded, skipping", file=sys.stderr)
        return
    import_directory(ROOT / "huiying" / "orgs" / "data" / "nantong.yaml")
    units = list(
        Unit.objects.filter(is_active=True)
        .exclude(kind=Unit.Kind.CITY)
        .exclude(office__in=[Unit.Office.CAC, Unit.Office.INSPECTION, Unit.Office.DISCIPLINE])
    )
    # Districts and their departments get most of the work (属地管理).
    unit_weights = [3.0 if u.kind in (Unit.Kind.DISTRICT, Unit.Kind.ZONE) else 1.0 for u in units]
    people = ensure_people(units)
    monitor, reviewers = (
        people["bench_monitor"],
        [people["bench_reviewer"], people["bench_reviewer2"]],
    )
    handler_of = {u.pk: people[f"bench_h_{u.code}"] for u in units}
    cal = calendar_from_database()
    limits: dict[tuple[str, str], Any] = {}
    now = dt.datetime.now(dt.UTC)
    seq_by_year = {row.year: row.last for row in FormNumberSequence.objects.all()}
    started = time.perf_counter()
    batch = 5000
    remaining = target - have
    while remaining > 0:
        n = min(batch, remaining)
        with transaction.atomic():
            forms: list[Assignment] = []
            for _ in range(n):
                status = _weighted(rng, STATUS_WEIGHTS)
                recent = status not in ("closed", "reassigned", "withdrawn")
                age = rng.uniform(0, RECENT_DAYS if recent else HISTORY_DAYS)
                created = now - dt.timedelta(days=age)
                topic, category = rng.choice(TOPICS)
                severity = rng.choices(["I", "II", "III", "IV"], weights=[1, 3, 16, 80])[0]
                unit = rng.choices(units, weights=unit_weights)[0]
                f = Assignment(
                    unit=unit,
                    is_lead=True,
                    title=f"{rng.choice(PLACES)}{topic}",
                    summary=f"网民反映{topic}，希望有关部门尽快核实处理。",
                    category=category,
                    severity=severity,
                    reply_channel="same_platform",
                    cac_opinion="请核实情况并在原平台回应。",
                    status=status,
                    drafter=monitor,
                    created_at=created,
                    updated_at=created,
                )
                submitted = created + dt.timedelta(minutes=rng.randint(10, 120))
                if status != "draft":
                    f.submitted_at = submitted
                if status not in UNISSUED:
                    issued = submitted + dt.timedelta(minutes=rng.randint(20, 600))
                    f.issued_at = issued
                    f.reviewer = rng.choice(reviewers)
                    year = issued.astimezone(cal.tz).year
                    seq_by_year[year] = seq_by_year.get(year, 0) + 1
                    f.number_year, f.number_seq = year, seq_by_year[year]
                    f.number = f"通网舆交〔{year}〕{seq_by_year[year]:04d}号"
                    key = (category, severity)
                    if key not in limits:
                        limits[key] = limits_for(category, severity)
                    lim = limits[key]
                    add: Callable[[dt.datetime, Any], dt.datetime] = (
                        cal.add_natural_hours
                        if lim.measure == "natural_hours"
                        else cal.add_working_hours
                    )
                    f._bench_sign_due = add(issued, lim.sign)  # type: ignore[attr-defined]
                    f.reply_deadline = add(issued, lim.reply)
                    f.feedback_deadline = add(issued, lim.feedback)
                    _stamp_progress(f, status, rng)
                forms.append(f)
            # One matter in twelve touches a second unit: a co-unit form in the lead's thread.
            threads = CaseThread.objects.bulk_create(
                [CaseThread(title=f.title) for f in forms], batch_size=batch
            )
            orphans = []
            for i, (f, thread) in enumerate(zip(forms, threads, strict=True)):
                f.thread = thread
                if i and rng.random() < 1 / 12 and forms[i - 1].unit_id != f.unit_id:
                    f.thread, f.is_lead = forms[i - 1].thread, False
                    f.title = forms[i - 1].title
                    orphans.append(thread.pk)
            # bulk_create lets auto_now(_add) overwrite the story's times: keep them aside.
            times = [(f.created_at, f.updated_at) for f in forms]
            Assignment.objects.bulk_create(forms, batch_size=batch)
            # auto_now_add overwrote created_at with "now": put the story's times back.
            _restore_times(connection, [f.pk for f in forms], times)
            CaseThread.objects.filter(pk__in=orphans).delete()
            Clock.objects.bulk_create(
                [c for f in forms for c in _clocks(f, Clock)], batch_size=batch
            )
            SourceItem.objects.bulk_create(
                [
                    SourceItem(
                        assignment=f,
                        platform=rng.choice(
                            ["人民网地方领导留言板", "中国江苏网民生汇", "新浪微博"]
                        ),
                        url=f"https://liuyan.people.com.cn/threads/content?tid={f.pk}",
                        title=f.title,
                        text=f.summary,
                    )
                    for f in forms
                ],
                batch_size=batch,
            )
            ExtensionRequest.objects.bulk_create(
                [
                    ExtensionRequest(
                        assignment=f,
                        requested_by=handler_of[f.unit_id],
                        requested_at=now,
                        reason="需多部门联合核查",
                        requested_until=now + dt.timedelta(days=3),
                    )
                    for f in forms
                    if f.status in ("signed", "responded") and rng.random() < 0.05
                ]
            )
            ReliefRequest.objects.bulk_create(
                [
                    ReliefRequest(
                        assignment=f,
                        requested_by=handler_of[f.unit_id],
                        requested_at=now,
                        reason="非本单位职责",
                        prior_status="issued",
                    )
                    for f in forms
                    if f.status == "relief_requested"
                ]
            )
            for year, last in seq_by_year.items():
                FormNumberSequence.objects.update_or_create(year=year, defaults={"last": last})
        remaining -= n
        done = target - remaining
        print(
            f"forms: {done}/{target} ({time.perf_counter() - started:.0f} s)",
            file=sys.stderr,
            end="\r",
        )
    print(file=sys.stderr)
    assert Assignment.objects.aggregate(m=Max("number_seq"))["m"] is not None


def _clocks(f: Any, Clock: Any) -> list[Any]:
    """The clock rows the services would have written for a form in this state."""
    if f.issued_at is None:
        return []
    stop = f.closed_at if f.status in TERMINAL else None
    rows = []
    for kind, due, done in (
        ("sign", f._bench_sign_due, f.signed_at),
        ("reply", f.reply_deadline, f.responded_at),
        ("feedback", f.feedback_deadline, f.feedback_at if f.status != "rework" else None),
    ):
        rows.append(
            Clock(
                assignment_id=f.pk,
                kind=kind,
                owner="unit",
                unit_id=f.unit_id,
                measure="working",
                started_at=f.issued_at,
                due_at=due,
                original_due_at=due,
                done_at=done,
                stopped_at=stop if done is None else None,
                stop_reason="已办结" if stop and done is None else "",
            )
        )
    return rows


def _stamp_progress(f: Any, status: str, rng: random.Random) -> None:
    """Times of the steps a form went through, in order, from its issue time."""
    t = f.issued_at
    steps = {
        "issued": [],
        "relief_requested": [],
        "signed": ["signed_at"],
        "responded": ["signed_at", "responded_at"],
        "feedback_filed": ["signed_at", "responded_at", "feedback_at"],
        "rework": ["signed_at", "responded_at", "feedback_at"],
        "closed": ["signed_at", "responded_at", "feedback_at", "closed_at"],
        "reassigned": ["closed_at"],
        "withdrawn": ["closed_at"],
    }[status]
    for field in steps:
        t = t + dt.timedelta(hours=rng.uniform(0.5, 30))
        setattr(f, field, t)
    f.updated_at = t


def _restore_times(
    connection: Any, pks: list[int], times: list[tuple[dt.datetime, dt.datetime]]
) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS bench_times (id bigint, c timestamptz, u timestamptz)"
        )
        cursor.execute("TRUNCATE bench_times")
        with cursor.cursor.copy("COPY bench_times (id, c, u) FROM STDIN") as copy:
            for pk, (created, updated) in zip(pks, times, strict=True):
                copy.write_row((pk, created, updated))
        cursor.execute(
            "UPDATE cases_assignment a SET created_at = t.c, updated_at = t.u "
            "FROM bench_times t WHERE a.id = t.id"
        )


ACTIONS = [
    ("assignment.create", {}, {}),
    ("assignment.submit", {"status": "draft"}, {"status": "in_review"}),
    ("assignment.issue", {"status": "in_review"}, {"status": "issued"}),
    ("assignment.sign", {"status": "issued"}, {"status": "signed"}),
    ("assignment.respond", {"status": "signed"}, {"status": "responded"}),
    ("assignment.file_feedback", {"status": "responded"}, {"status": "feedback_filed"}),
    ("assignment.accept", {"status": "feedback_filed"}, {"status": "closed"}),
]


def load_events(target: int, rng: random.Random) -> None:
    """Append audit events with a valid hash chain through COPY, then move the chain head."""
    from django.db import connection, transaction

    from huiying.cases.models import Assignment
    from huiying.common.audit import compute_hash
    from huiying.common.models import AuditChainHead, AuditEvent

    have = AuditEvent.objects.count()
    if have >= target:
        print(f"events: {have} already loaded, skipping", file=sys.stderr)
        return
    form_ids = list(Assignment.objects.values_list("pk", flat=True))
    actors = list(Assignment.objects.values_list("drafter_id", flat=True).distinct()) + list(
        Assignment.objects.exclude(reviewer=None).values_list("reviewer_id", flat=True).distinct()
    )
    started = time.perf_counter()
    with transaction.atomic():
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
        last = AuditEvent.objects.order_by("-seq").first()
        seq, prev = head.last_seq, head.last_hash
        # New events are later than every existing one, and one second apart on average.
        moment = max(
            dt.datetime.now(dt.UTC) - dt.timedelta(seconds=target - have),
            last.created_at if last else dt.datetime(2000, 1, 1, tzinfo=dt.UTC),
        )
        columns = (
            "seq, created_at, actor_id, actor_label, action, object_type, object_id, "
            "before, after, reason, meta, prev_hash, hash"
        )
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY common_auditevent ({columns}) FROM STDIN") as copy,
        ):
            import json

            for _ in range(target - have):
                seq += 1
                moment = moment + dt.timedelta(microseconds=rng.randint(1, 2_000_000))
                action, before, after = rng.choice(ACTIONS)
                fields: dict[str, Any] = {
                    "seq": seq,
                    "created_at": moment,
                    "actor_id": rng.choice(actors),
                    "actor_label": "bench",
                    "action": action,
                    "object_type": "assignment",
                    "object_id": str(rng.choice(form_ids)),
                    "before": before,
                    "after": after,
                    "reason": "",
                    "meta": {},
                    "prev_hash": prev,
                }
                digest = compute_hash(**fields)
                copy.write_row(
                    (
                        seq,
                        moment,
                        fields["actor_id"],
                        "bench",
                        action,
                        "assignment",
                        fields["object_id"],
                        json.dumps(before, ensure_ascii=False),
                        json.dumps(after, ensure_ascii=False),
                        "",
                        "{}",
                        prev,
                        digest,
                    )
                )
                prev = digest
                if seq % 100_000 == 0:
                    print(
                        f"events: {seq} ({time.perf_counter() - started:.0f} s)",
                        file=sys.stderr,
                        end="\r",
                    )
        head.last_seq, head.last_hash = seq, prev
        head.save(update_fields=["last_seq", "last_hash"])
    print(file=sys.stderr)


def analyze() -> None:
    """What autovacuum does to a live database: a bulk load followed by updates leaves dead
    rows and an unset visibility map, and without a VACUUM every index scan reads the heap."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


# --- measuring ----------------------------------------------------------------------------------


def percentiles(samples_ms: list[float]) -> tuple[float, float, float]:
    ordered = sorted(samples_ms)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95, ordered[-1]


def page(url_name: str) -> tuple[str, Callable[[Any, Any], None]]:
    """The real page, rendered through the test client (middleware, templates and all)."""
    from django.urls import reverse

    url = reverse(url_name)

    def get(client: Any, user: Any) -> None:
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")

    return f"GET {url}", get


def measure(name: str, run: Callable[[Any, Any], None], user: Any, requests: int) -> dict[str, Any]:
    from django.test import Client

    client = Client()
    client.force_login(user)
    for _ in range(min(10, requests)):  # warm caches and connections
        run(client, user)
    samples = []
    for _ in range(requests):
        t0 = time.perf_counter()
        run(client, user)
        samples.append((time.perf_counter() - t0) * 1000)
    p50, p95, worst = percentiles(samples)
    return {"name": name, "p50": p50, "p95": p95, "max": worst, "n": requests}


def explain(run: Callable[[Any, Any], None], user: Any) -> list[tuple[float, str, str]]:
    """EXPLAIN ANALYZE every SELECT of one request; slowest first."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(user)
    with CaptureQueriesContext(connection) as ctx:
        run(client, user)
    plans = []
    with connection.cursor() as cursor:
        for q in ctx.captured_queries:
            sql = q["sql"]
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            ms = float(plan.rsplit("Execution Time:", 1)[-1].split("ms")[0])
            plans.append((ms, sql, plan))
    return sorted(plans, reverse=True)


def busiest_handler() -> Any:
    from django.contrib.auth import get_user_model
    from django.db.models import Count

    from huiying.cases.models import Assignment

    row = (
        Assignment.objects.filter(status__in=sorted(OPEN_UNIT))
        .values("unit__code")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    assert row is not None, "no open forms loaded"
    return get_user_model().objects.get(username=f"bench_h_{row['unit__code']}")


def deadlines_per_second(n: int) -> float:
    import bench_calendar

    calendar, _source = bench_calendar.load_calendar()
    jobs = bench_calendar.make_jobs(n, 1, calendar.tz)
    return n / bench_calendar.run(calendar, jobs)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--forms", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page")
    parser.add_argument("--deadlines", type=int, default=100_000, help="deadlines to compute")
    parser.add_argument("--explain", action="store_true", help="always print the query plans")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--verify", action="store_true", help="also verify the whole audit chain")
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        url = DEFAULT_URL
    ensure_database(url)
    setup_django(url)
    from django.contrib.auth import get_user_model
    from django.db import connection

    from huiying.cases.models import Assignment
    from huiying.common.models import AuditEvent

    rng = random.Random(args.seed)
    t0 = time.perf_counter()
    load_forms(args.forms, rng)
    load_events(args.events, rng)
    analyze()
    load_s = time.perf_counter() - t0

    forms, events = Assignment.objects.count(), AuditEvent.objects.count()
    reviewer = get_user_model().objects.get(username="bench_reviewer")
    handler = busiest_handler()
    pages = [
        (*page("cases:queue"), reviewer, "reviewer queue"),
        (*page("cases:inbox"), handler, "handler inbox"),
    ]
    results = []
    for name, run, user, label in pages:
        r = measure(name, run, user, args.requests)
        r["label"] = label
        r["run"], r["user"] = run, user
        results.append(r)
    rate = deadlines_per_second(args.deadlines)

    print(
        f"\nbench_forms on {connection.vendor} {connection.settings_dict['NAME']}: "
        f"{forms:,} forms, {events:,} audit events (load/check {load_s:.0f} s)"
    )
    print(f"{'what':<16} {'how':<40} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}  n")
    for r in results:
        flag = "" if r["p95"] < TARGET_P95_MS else "  <-- over target"
        print(
            f"{r['label']:<16} {r['name']:<40} {r['p50']:8.1f} {r['p95']:8.1f} {r['max']:8.1f}  {r['n']}{flag}"
        )
    print(f"{'calendar':<16} {f'{args.deadlines:,} deadlines':<40} {rate:,.0f} deadlines/s")
    print(f"target: p95 < {TARGET_P95_MS:.0f} ms")

    if args.verify:
        from huiying.common.audit import verify_chain

        t1 = time.perf_counter()
        checked, problem = verify_chain()
        print(
            f"audit verify: {checked:,} events in {time.perf_counter() - t1:.1f} s, {problem or 'chain intact'}"
        )

    for r in results:
        if args.explain or r["p95"] >= TARGET_P95_MS:
            print(f"\n-- query plans of one {r['label']} request, slowest first")
            for ms, sql, plan in explain(r["run"], r["user"])[:3]:
                print(f"\n{ms:.1f} ms: {sql[:400]}\n{plan}")


if __name__ == "__main__":
    main()
