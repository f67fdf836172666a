"""Benchmark of the pages people wait on, at a city's scale, on PostgreSQL.

    .venv/bin/python bench/bench_forms.py [--scenario both|realistic|stress] [--forms 100000]
        [--events 1000000] [--requests 200]

Two scenarios, each in its own database and its own process:

- ``realistic``: a realistic city, where at most 500 forms wait for 网信办's review
  (in review + feedback filed + relief requested + pending extensions);
  database ``<name>_city``;
- ``stress``: today's stress mix, about 6,200 forms waiting; database ``<name>``.

Loads N forms (with the clock rows the services would have written) and M audit events into
PostgreSQL (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/huiying_bench; created and
migrated if missing), then times the reviewer's queue and the handler's inbox through the full
Django stack (django.test.Client, force_login) and the deadline engine. Loading is skipped when
the database already holds that many rows (it tops up when asked for more); a database loaded
by an older version of this script is reported, and should be dropped. Target: p95 < 100 ms.

The load bypasses the services on purpose (bulk_create and COPY): the audit events still form
a valid hash chain, computed here with huiying.common.audit.compute_hash.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/huiying_bench"
TARGET_P95_MS = 100.0
# What the loader writes; a database loaded by another version is reported (drop and reload it).
LOADER_VERSION = 2


def ensure_database(url: str) -> None:
    """CREATE DATABASE if it does not exist (connecting to the server's `postgres` database)."""
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("select 1 from pg_database where datname = %s", (name,)).fetchone()
        if not exists:
            print(f"creating database {name}", file=sys.stderr)
            conn.execute(f'CREATE DATABASE "{name}"')


def scenario_url(url: str, scenario: Scenario) -> str:
    parsed = urlparse(url)
    return parsed._replace(path=parsed.path.rstrip("/") + scenario.db_suffix).geturl()


def loader_mark(scenario: Scenario) -> str:
    return f"bench_forms loader {LOADER_VERSION} scenario {scenario.name}"


def check_mark(scenario: Scenario, *, empty: bool) -> None:
    """The database's comment says which loader and scenario filled it: an empty database is
    marked now, a full one from another loader or scenario is reported, not silently reused."""
    from django.db import connection

    name = connection.settings_dict["NAME"]
    with connection.cursor() as cursor:
        if empty:
            cursor.execute(f'COMMENT ON DATABASE "{name}" IS %s', [loader_mark(scenario)])
            return
        cursor.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            [name],
        )
        row = cursor.fetchone()
    found = (row[0] if row else None) or "no mark"
    if found != loader_mark(scenario):
        print(
            f"warning: database {name} was loaded by '{found}', not '{loader_mark(scenario)}': "
            f'drop it (DROP DATABASE "{name}") to measure this scenario as written',
            file=sys.stderr,
        )


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


# --- loading ------------------------------------------------------------------------------------

# Where forms end up, by share: most of a city's history is closed.
STRESS_WEIGHTS = {
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
WAITING = ("in_review", "feedback_filed", "relief_requested")  # plus pending extensions
# A realistic city: the same history, but 网信办 keeps up with its review work, so about 400 of
# 100,000 forms wait for it (≤ 500); what no longer waits is closed.
REALISTIC_WEIGHTS = STRESS_WEIGHTS | {
    "in_review": 0.15,
    "feedback_filed": 0.2,
    "relief_requested": 0.03,
    "closed": 70.0 + (1.5 - 0.15) + (3.5 - 0.2) + (0.5 - 0.03),
}
REALISTIC_MAX_WAITING = 500


@dataclass(frozen=True)
class Scenario:
    name: str
    db_suffix: str  # appended to the database name
    weights: dict[str, float]
    extension_share: float  # of signed and responded forms, with a pending extension request
    about: str


SCENARIOS = {
    "realistic": Scenario(
        "realistic",
        "_city",
        REALISTIC_WEIGHTS,
        0.005,
        f"a realistic city: at most {REALISTIC_MAX_WAITING} forms waiting for review",
    ),
    "stress": Scenario(
        "stress",
        "",
        STRESS_WEIGHTS,
        0.05,
        "today's stress mix: ~6,200 of 100,000 forms waiting for review",
    ),
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


def load_forms(target: int, rng: random.Random, scenario: Scenario) -> None:
    from django.db import connection, transaction
    from django.db.models import Max

    from huiying.cases.deadlines import limits_for
    from huiying.cases.models import (
        Assignment,
        AssignmentEditor,
        CaseThread,
        Clock,
        ExtensionRequest,
        FormNumberSequence,
        Milestone,
        ReliefRequest,
        SourceItem,
    )
    from huiying.common.workcalendar import calendar_from_database
    from huiying.demo.builder import import_directory
    from huiying.orgs.models import Unit

    have = Assignment.objects.count()
    check_mark(scenario, empty=have == 0)
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
                status = _weighted(rng, scenario.weights)
                recent = status not in TERMINAL
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
                    f.reply_deadline = _add(cal, issued, lim.reply, lim.measure)
                    f.feedback_deadline = _add(cal, issued, lim.feedback, lim.measure)
                    _stamp_progress(f, status, rng)
                    f._bench_clocks = _clock_plan(f, lim, cal, rng, units)  # type: ignore[attr-defined]
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
            # The drafter wrote every form (four eyes, R3.5: the drafter may not issue it).
            AssignmentEditor.objects.bulk_create(
                [
                    AssignmentEditor(
                        assignment=f, user=monitor, first_at=f.created_at, last_at=f.created_at
                    )
                    for f in forms
                ],
                batch_size=batch,
            )
            plans = [(f, c) for f in forms for c in getattr(f, "_bench_clocks", [])]
            milestones = Milestone.objects.bulk_create(
                [
                    Milestone(assignment=f, kind=c.kind, sequence=c.round)
                    for f, c in plans
                    if c.kind in MILESTONE_KINDS
                ],
                batch_size=batch,
            )
            milestone_of = {(m.assignment_id, m.kind, m.sequence): m.pk for m in milestones}
            Clock.objects.bulk_create(
                [
                    Clock(
                        assignment_id=f.pk,
                        kind=c.kind,
                        round=c.round,
                        owner="unit",
                        unit_id=f.unit_id,
                        milestone_id=milestone_of.get((f.pk, c.kind, c.round)),
                        measure=c.measure,
                        started_at=c.started,
                        due_at=c.due,
                        original_due_at=c.due,
                        done_at=c.done,
                        stopped_at=c.stopped,
                        stop_reason=c.stop_reason,
                    )
                    for f, c in plans
                ],
                batch_size=batch,
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
                    if f.status in ("signed", "responded")
                    and rng.random() < scenario.extension_share
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


MILESTONE_KINDS = ("authoritative_info", "press_conference", "continued_release")
EMERGENCY_CATEGORIES = {"emergency_incident", "emergency_mass", "emergency_hazard"}
STOP_REASONS = {"closed": "已办结", "withdrawn": "交办单已撤回"}


@dataclass(frozen=True)
class ClockPlan:
    kind: str
    round: int
    measure: str
    started: dt.datetime
    due: dt.datetime
    done: dt.datetime | None
    stopped: dt.datetime | None = None
    stop_reason: str = ""


def _add(cal: Any, start: dt.datetime, amount: Any, measure: str) -> dt.datetime:
    """huiying.cases.deadlines.add, on the calendar loaded once for the whole load."""
    if measure == "natural_hours":
        return cal.add_natural_hours(start, amount)  # type: ignore[no-any-return]
    if measure == "working_days":
        return cal.add_working_days(start, int(amount))  # type: ignore[no-any-return]
    return cal.add_working_hours(start, amount)  # type: ignore[no-any-return]


def _clock_plan(
    f: Any, lim: Any, cal: Any, rng: random.Random, units: list[Any]
) -> list[ClockPlan]:
    """The clock rows the services would have written for an issued form in this state:
    sign, reply and feedback from issue (clocks.start_unit_clocks), each done when its step was
    taken; a second feedback round from the send-back (退回重办, clocks.start_rework); the R3.6
    releases of a major emergency (clocks.start_milestones, start_next_release); and, when the
    form ended, whatever was still open stopped at its end (clocks.stop_open)."""
    measure = "natural" if lim.measure == "natural_hours" else "working"
    issued = f.issued_at
    plans = [
        ClockPlan(
            "sign", 1, measure, issued, _add(cal, issued, lim.sign, lim.measure), f.signed_at
        ),
        ClockPlan("reply", 1, measure, issued, f.reply_deadline, f.responded_at),
    ]
    sent_back = getattr(f, "_bench_sent_back_at", None)
    if sent_back is None:
        plans.append(ClockPlan("feedback", 1, measure, issued, f.feedback_deadline, f.feedback_at))
    else:
        first = f._bench_first_feedback_at
        again = _add(cal, sent_back, lim.reply, lim.measure)
        plans.append(ClockPlan("feedback", 1, measure, issued, f.feedback_deadline, first))
        plans.append(
            ClockPlan(
                "feedback",
                2,
                measure,
                sent_back,
                again,
                None if f.status == "rework" else f.feedback_at,
            )
        )
    if f.category in EMERGENCY_CATEGORIES and f.severity in ("I", "II"):
        plans += _milestone_plan(f, issued, rng)
    if f.status not in TERMINAL:
        return plans
    reason = STOP_REASONS.get(f.status) or f"已改派至{rng.choice(units).name}"
    return [
        c
        if c.done is not None
        else ClockPlan(c.kind, c.round, c.measure, c.started, c.due, None, f.closed_at, reason)
        for c in plans
    ]


def _milestone_plan(f: Any, issued: dt.datetime, rng: random.Random) -> list[ClockPlan]:
    """Information in 5 h, a press conference in 24 h, then a release every 24 h, each
    recorded around its due time until the form's last step."""
    until = f.closed_at if f.status in TERMINAL else f.updated_at
    plans = []
    for kind, hours in (("authoritative_info", 5), ("press_conference", 24)):
        due = issued + dt.timedelta(hours=hours)
        done = issued + dt.timedelta(hours=hours * rng.uniform(0.5, 1.1))
        plans.append(ClockPlan(kind, 1, "natural", issued, due, done if done < until else None))
    start, round_ = issued, 1
    while True:
        due = start + dt.timedelta(hours=5 + 24 if round_ == 1 else 24)
        done = due - dt.timedelta(hours=rng.uniform(-2, 6))
        met = done < until and round_ < 4
        plans.append(
            ClockPlan("continued_release", round_, "natural", start, due, done if met else None)
        )
        if not met:
            return plans
        start, round_ = done, round_ + 1


def _stamp_progress(f: Any, status: str, rng: random.Random) -> None:
    """Times of the steps a form went through, in order, from its issue time. A form in rework
    was sent back after its feedback; one closed form in ten went through a rework first."""
    t = f.issued_at
    steps = {
        "issued": [],
        "relief_requested": [],
        "signed": ["signed_at"],
        "responded": ["signed_at", "responded_at"],
        "feedback_filed": ["signed_at", "responded_at", "feedback_at"],
        "rework": ["signed_at", "responded_at", "feedback_at", "_bench_sent_back_at"],
        "closed": ["signed_at", "responded_at", "feedback_at", "closed_at"],
        "reassigned": ["closed_at"],
        "withdrawn": ["closed_at"],
    }[status]
    if status == "closed" and rng.random() < 0.1:
        steps = ["signed_at", "responded_at", "_bench_first_feedback_at"]
        steps += ["_bench_sent_back_at", "feedback_at", "closed_at"]
    for field in steps:
        t = t + dt.timedelta(hours=rng.uniform(0.5, 30))
        setattr(f, field, t)
    if status == "rework":
        f._bench_first_feedback_at = f.feedback_at
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
    samples, cpu = [], []
    for _ in range(requests):
        t0, c0 = time.perf_counter(), time.process_time()
        run(client, user)
        samples.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    p50, p95, worst = percentiles(samples)
    # The Python side's CPU time (PostgreSQL's is not in it): what the page costs this
    # process, apart from waiting for the database or for a CPU another program holds.
    return {
        "name": name,
        "p50": p50,
        "p95": p95,
        "max": worst,
        "cpu": statistics.median(cpu),
        "n": requests,
    }


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
            if not sql.lstrip(" (").upper().startswith("SELECT"):  # UNIONs open with (
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


def waiting_forms() -> int:
    """Forms waiting for 网信办's review: the review queue's own count."""
    from django.db.models import Q

    from huiying.cases.models import Assignment, ExtensionRequest

    pending = ExtensionRequest.objects.filter(status="pending").values("assignment_id")
    return Assignment.objects.filter(Q(status__in=WAITING) | Q(pk__in=pending)).count()


def deadlines_per_second(n: int) -> float:
    import bench_calendar

    calendar, _source = bench_calendar.load_calendar()
    jobs = bench_calendar.make_jobs(n, 1, calendar.tz)
    return n / bench_calendar.run(calendar, jobs)


def run_scenario(args: argparse.Namespace, scenario: Scenario, base_url: str) -> dict[str, Any]:
    """Load (or reuse) the scenario's database and time both pages; prints its own table."""
    url = scenario_url(base_url, scenario)
    ensure_database(url)
    setup_django(url)
    from django.contrib.auth import get_user_model
    from django.db import connection

    from huiying.cases.models import Assignment
    from huiying.common.models import AuditEvent

    rng = random.Random(args.seed)
    t0 = time.perf_counter()
    load_forms(args.forms, rng, scenario)
    load_events(args.events, rng)
    analyze()
    load_s = time.perf_counter() - t0

    forms, events, waiting = Assignment.objects.count(), AuditEvent.objects.count(), waiting_forms()
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
    load = os.getloadavg()[0]

    print(
        f"\nbench_forms [{scenario.name}] on {connection.vendor} "
        f"{connection.settings_dict['NAME']}: {forms:,} forms, {events:,} audit events, "
        f"{waiting:,} waiting for review (load/check {load_s:.0f} s, load average {load:.1f})"
    )
    if scenario.name == "realistic" and waiting > REALISTIC_MAX_WAITING:
        print(f"warning: more than {REALISTIC_MAX_WAITING} waiting: not the realistic city")
    print(f"{'what':<16} {'how':<24} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'cpu ms':>8}  n")
    for r in results:
        flag = "" if r["p95"] < TARGET_P95_MS else "  <-- over target"
        print(
            f"{r['label']:<16} {r['name']:<24} {r['p50']:8.1f} {r['p95']:8.1f} {r['max']:8.1f} "
            f"{r['cpu']:8.1f}  {r['n']}{flag}"
        )
    print(f"{'calendar':<16} {f'{args.deadlines:,} deadlines':<24} {rate:,.0f} deadlines/s")
    print(f"target: p95 < {TARGET_P95_MS:.0f} ms; cpu: median CPU time of this process")

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
    return {
        "scenario": scenario.name,
        "about": scenario.about,
        "database": connection.settings_dict["NAME"],
        "forms": forms,
        "events": events,
        "waiting": waiting,
        "load_average": load,
        "pages": [
            {k: r[k] for k in ("label", "name", "p50", "p95", "max", "cpu", "n")} for r in results
        ],
    }


def print_summary(reports: list[dict[str, Any]]) -> None:
    print("\n===== bench_forms: both scenarios =====")
    print(
        f"{'scenario':<10} {'waiting':>8} {'page':<16} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'max ms':>8} {'cpu ms':>8}  load"
    )
    for rep in reports:
        for r in rep["pages"]:
            flag = "" if r["p95"] < TARGET_P95_MS else "  <-- over target"
            print(
                f"{rep['scenario']:<10} {rep['waiting']:>8,} {r['label']:<16} "
                f"{r['p50']:8.1f} {r['p95']:8.1f} {r['max']:8.1f} {r['cpu']:8.1f}  "
                f"{rep['load_average']:.1f}{flag}"
            )
    for rep in reports:
        print(f"{rep['scenario']}: {rep['about']} ({rep['database']}, {rep['forms']:,} forms)")
    print(f"target: p95 < {TARGET_P95_MS:.0f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--scenario", choices=["both", *SCENARIOS], default="both", help="which city to measure"
    )
    parser.add_argument("--forms", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page")
    parser.add_argument("--deadlines", type=int, default=100_000, help="deadlines to compute")
    parser.add_argument("--explain", action="store_true", help="always print the query plans")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--verify", action="store_true", help="also verify the whole audit chain")
    parser.add_argument("--report", help=argparse.SUPPRESS)  # where a child writes its figures
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        url = DEFAULT_URL
    if args.scenario != "both":
        report = run_scenario(args, SCENARIOS[args.scenario], url)
        if args.report:
            Path(args.report).write_text(json.dumps(report), encoding="utf-8")
        return 0
    # Each scenario in its own process: Django is set up once per database.
    reports = []
    rest = [
        f"--{k}={getattr(args, k)}" for k in ("forms", "events", "requests", "deadlines", "seed")
    ]
    rest += [f"--{k}" for k in ("explain", "verify") if getattr(args, k)]
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("realistic", "stress"):
            out = Path(tmp) / f"{name}.json"
            command = [sys.executable, __file__, *rest, f"--scenario={name}", f"--report={out}"]
            if subprocess.run(command, check=False).returncode != 0:
                return 1
            reports.append(json.loads(out.read_text(encoding="utf-8")))
    print_summary(reports)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
