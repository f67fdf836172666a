"""Build the demo city: directory, people, and the forms of ``stories`` through the services."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from itertools import cycle
from pathlib import Path
from typing import Any

import time_machine
import yaml
from django.contrib.auth import get_user_model
from django.db import transaction

from huiying.cases import services
from huiying.cases.models import EMERGENCY_CATEGORIES, Assignment, Feedback, Milestone, Status
from huiying.common.workcalendar import get_calendar
from huiying.demo.content import BY_KEY, Matter
from huiying.demo.people import (
    ADMIN,
    DEMO_PASSWORD,
    DEMO_TOTP_SECRET,
    MARKER_USERNAME,
    PEOPLE,
    Person,
)
from huiying.demo.stories import STORIES, Story, Target
from huiying.demo.timeline import Pace, Timeline
from huiying.demo.units import resolve_units
from huiying.orgs.models import Membership, Unit

S = Status
DIRECTORY_FILE = Path(__file__).resolve().parents[1] / "orgs" / "data" / "nantong.yaml"

# Hours between the steps of one form: office hours for old stories, natural hours for fresh
# ones (a fresh form went out minutes after it was drafted).
GAPS = {
    "working": {"submit": 0.5, "issue": 1, "sign": 1.5, "late_sign": 12, "respond": 6},
    "fresh": {"submit": 0.25, "issue": 0.25, "sign": 1.5, "late_sign": 12, "respond": 6},
    # Emergencies run on natural hours with short limits (sign within the hour).
    "emergency": {"submit": 0.1, "issue": 0.2, "sign": 0.5, "late_sign": 3, "respond": 2.5},
}
FEEDBACK_GAP, LATE_FEEDBACK_GAP, REVIEW_GAP = 10, 30, 4
SETUP_DAYS_AGO = 25  # working days: before the oldest story


@dataclass
class DemoResult:
    created: bool
    people: list[Person]
    forms_by_status: dict[str, int] = field(default_factory=dict)
    events: int = 0


def demo_exists() -> bool:
    return get_user_model().objects.filter(username=MARKER_USERNAME).exists()


def build_demo(*, directory_file: Path = DIRECTORY_FILE) -> DemoResult:
    """Build everything in one transaction, or nothing; a second call changes nothing."""
    people = [*PEOPLE, ADMIN]
    if demo_exists():
        return DemoResult(created=False, people=people, forms_by_status=_status_counts())
    with transaction.atomic():
        timeline = Timeline()
        # The city was set up before its story began: directory and people come first in the
        # audit log, so that the log reads in time order from its first event.
        with time_machine.travel(timeline.working_day_start(SETUP_DAYS_AGO, "08:30"), tick=True):
            import_directory(directory_file)
            units = resolve_units()
            users = create_people(units)
            create_roster(
                units, users, first=timeline.working_day_start(SETUP_DAYS_AGO), today=timeline.now
            )
        city = DemoCity(units=units, users=users, timeline=timeline)
        city.plan_all()
        timeline.run()
    from huiying.common.models import AuditChainHead

    head = AuditChainHead.objects.filter(pk=1).first()
    return DemoResult(
        created=True,
        people=people,
        forms_by_status=_status_counts(),
        events=head.last_seq if head else 0,
    )


def _status_counts() -> dict[str, int]:
    counts = Counter(Assignment.objects.values_list("status", flat=True))
    return {s.value: counts.get(s.value, 0) for s in Status}


# --- directory and people ----------------------------------------------------------------------


def import_directory(path: Path) -> None:
    """The Nantong directory through the orgs service; skipped if units are already there."""
    from huiying.orgs.services import directory_import

    if Unit.objects.filter(office=Unit.Office.CAC).exists():
        return
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    directory_import(data=data, actor=None, prune=False)
    # The gazetteer beside the directory (nantong.yaml -> nantong_places.yaml), for routing.
    places = path.with_name(f"{path.stem}_places{path.suffix}")
    if places.exists():
        from huiying.orgs.gazetteer import gazetteer_import

        gazetteer_import(data=yaml.safe_load(places.read_text(encoding="utf-8")), actor=None)


def create_people(units: dict[str, Unit]) -> dict[str, Any]:
    from huiying.accounts.services import user_create
    from huiying.orgs.services import membership_grant

    users: dict[str, Any] = {}
    for person in PEOPLE:
        user = user_create(
            username=person.username,
            full_name=person.full_name,
            password=DEMO_PASSWORD,
            phone=person.phone,
        )
        membership_grant(user=user, unit=units[person.unit], role=person.role)
        users[person.username] = user
    users[ADMIN.username] = user_create(
        username=ADMIN.username,
        full_name=ADMIN.full_name,
        password=DEMO_PASSWORD,
        is_staff=True,
        is_superuser=True,
    )
    enrol_two_factor(users.values())
    return users


# The duty roster (值班表) of 网信办: office hours and an evening shift every day, the night
# left open (an emergency then alerts every monitor and reviewer: the roster's fallback).
ROSTER = (
    # (start, end, role, username, note)
    ("08:30", "17:30", "monitor", "cac_monitor", "日班"),
    ("08:30", "17:30", "reviewer", "cac_reviewer", "日班"),
    ("17:30", "22:00", "monitor", "cac_monitor", "晚班"),
    ("17:30", "22:00", "reviewer", "cac_reviewer2", "晚班"),
)
ROSTER_DAYS_AHEAD = 14


def create_roster(
    units: dict[str, Unit], users: dict[str, Any], *, first: dt.datetime, today: dt.datetime
) -> int:
    """Shifts for every day from ``first`` to two weeks after ``today``, through the service
    (written while the clock stands at the city's setup, so ``today`` is passed in)."""
    from django.utils import timezone

    from huiying.orgs.services import duty_shift_add

    day = timezone.localdate(first)
    last = timezone.localdate(today) + dt.timedelta(days=ROSTER_DAYS_AHEAD)
    admin = users.get(ADMIN.username)
    n = 0
    while day <= last:
        for start, end, role, username, note in ROSTER:
            at = [dt.time.fromisoformat(hhmm) for hhmm in (start, end)]
            duty_shift_add(
                user=users[username],
                unit=units["cac"],
                role=role,
                starts_at=timezone.make_aware(dt.datetime.combine(day, at[0])),
                ends_at=timezone.make_aware(dt.datetime.combine(day, at[1])),
                note=note,
                actor=admin,
            )
            n += 1
        day += dt.timedelta(days=1)
    return n


def enrol_two_factor(users: Iterable[Any]) -> None:
    """Whoever must sign in with a code gets the demo's published authenticator secret."""
    from django.utils import timezone

    from huiying.accounts import totp
    from huiying.accounts.twofactor import two_factor_enrol, two_factor_required

    for user in users:
        if two_factor_required(user):
            code = totp.code_at(DEMO_TOTP_SECRET, timezone.now())
            two_factor_enrol(user=user, secret=DEMO_TOTP_SECRET, code=code)


# --- the forms ---------------------------------------------------------------------------------


class DemoCity:
    def __init__(
        self, *, units: dict[str, Unit], users: dict[str, Any], timeline: Timeline
    ) -> None:
        self.units = units
        self.users = users
        self.timeline = timeline
        self.monitor = users["cac_monitor"]
        self._reviewers = cycle([users["cac_reviewer"], users["cac_reviewer2"]])
        # Each unit's people, so that the right person acts for the form's unit.
        self.handlers: dict[str, Any] = {}
        self.leaders: dict[str, Any] = {}
        for person in PEOPLE:
            if person.role == Membership.Role.HANDLER:
                self.handlers.setdefault(person.unit, users[person.username])
            if person.role in (Membership.Role.SPOKESPERSON, Membership.Role.LEADER):
                self.leaders.setdefault(person.unit, users[person.username])

    def reviewer(self) -> Any:
        return next(self._reviewers)

    def handler(self, unit: str) -> Any:
        return self.handlers[unit]

    def filer(self, unit: str) -> Any:
        """Feedback goes out under the unit leader's name where the demo has one (R8.3)."""
        return self.leaders.get(unit) or self.handlers[unit]

    # --- planning ------------------------------------------------------------------------

    def plan_all(self) -> None:
        for story in STORIES:
            self.plan_story(story)
        self.plan_fire()
        self.plan_waterlogging()
        from huiying.demo.ladder import plan_ladder

        plan_ladder(self)  # 催办督办: a form at every rung of the ladder

    def plan_story(self, story: Story) -> None:
        m = BY_KEY[story.matter]
        tl = self.timeline
        old = story.hours_ago == 0
        start = (
            tl.working_day_start(story.days_ago, story.at) if old else tl.ago(hours=story.hours_ago)
        )
        if m.category in EMERGENCY_CATEGORIES:
            pace = Pace(working=False, gaps="emergency")
        else:
            pace = Pace(working=old, gaps="working" if old else "fresh")
        forms: list[Assignment] = []
        targets = [story.lead, *story.co]

        def create() -> None:
            forms.extend(
                services.assignment_create(
                    actor=self.monitor,
                    lead_unit=self.units[story.lead.unit],
                    co_units=[self.units[t.unit] for t in story.co],
                    title=m.title,
                    summary=m.summary,
                    category=m.category,
                    severity=m.severity,
                    reply_channel=m.reply_channel,
                    cac_opinion=m.cac_opinion,
                    sources=[s.as_dict() for s in m.sources],
                )
            )

        tl.add(start, f"{m.key} create", create)
        issued_at: list[dt.datetime] = []
        # A matter is reviewed and issued as one set (R1.4): the lead's review moves every
        # unit's form; each unit then does its own part from the moment of issue.
        issued = self.plan_review(m, story.lead, partial(forms.__getitem__, 0), start, pace)
        if issued is not None:
            at, reviewer = issued
            issued_at.append(at)
            self.plan_unit_work(m, story.lead, partial(forms.__getitem__, 0), at, pace, reviewer)
            for index, target in enumerate(story.co, start=1):
                form = partial(forms.__getitem__, index)
                self.plan_unit_work(m, target, form, at, pace, reviewer)
        if m.notes and len(targets) > 1 and issued_at:
            at = pace.after(max(issued_at), 0.5)
            for note, target in zip(m.notes, targets, strict=False):
                author = self.handler(target.unit)
                tl.add(at, f"{m.key} note", partial(self._note, forms, author, note))
                at = pace.after(at, 0.5)

    def _note(self, forms: list[Assignment], author: Any, text: str) -> None:
        services.thread_note_add(thread=forms[0].thread, actor=author, text=text)

    def plan_review(
        self,
        m: Matter,
        target: Target,
        form: Callable[[], Assignment],
        start: dt.datetime,
        pace: Pace,
    ) -> tuple[dt.datetime, Any] | None:
        """Drafted → in review → issued (or returned). Returns the issue time and the reviewer."""
        tl, gaps = self.timeline, GAPS[pace.gaps]
        if target.status == S.DRAFT:
            return None
        t = pace.after(start, gaps["submit"])
        tl.add(t, f"{m.key} submit", lambda: services.form_submit(form=form(), actor=self.monitor))
        if target.status == S.IN_REVIEW:
            return None
        reviewer = self.reviewer()
        t = pace.after(t, gaps["issue"])
        if target.status == S.RETURNED:
            reason = "交办意见过于笼统，请写明核实重点、答复形式和时限要求后重新提交。"
            tl.add(
                t,
                f"{m.key} return",
                lambda: services.form_return(form=form(), actor=reviewer, reason=reason),
            )
            return None
        tl.add(t, f"{m.key} issue", lambda: services.form_issue(form=form(), actor=reviewer))
        return t, reviewer

    def plan_unit_work(
        self,
        m: Matter,
        target: Target,
        form: Callable[[], Assignment],
        issued: dt.datetime,
        pace: Pace,
        reviewer: Any,
    ) -> None:
        tl, gaps, status = self.timeline, GAPS[pace.gaps], target.status
        handler = self.handler(target.unit)
        t = issued
        if status == S.ISSUED:
            return
        if status == S.WITHDRAWN:
            t = pace.after(t, 3)
            reason = "该舆情已并入同一事项的其他交办单办理，本单撤回。"
            tl.add(
                t,
                f"{m.key} withdraw",
                lambda: services.form_withdraw(form=form(), actor=reviewer, reason=reason),
            )
            return
        if status in (S.RELIEF_REQUESTED, S.REASSIGNED):
            self._plan_relief(m, target, form, t, pace, reviewer)
            return
        t = pace.after(t, gaps["late_sign" if target.late_sign else "sign"])
        tl.add(
            t,
            f"{m.key} sign",
            lambda: services.form_sign(
                form=form(), actor=handler, ip_address="10.32.8.17", user_agent="演示浏览器"
            ),
        )
        if target.relief_refused:
            t = pace.after(t, 1)
            tl.add(
                t,
                f"{m.key} relief",
                lambda: services.form_request_relief(
                    form=form(), actor=handler, reason="安置房建设由市级平台公司负责，建议改派。"
                ),
            )
            t = pace.after(t, 2)
            tl.add(
                t,
                f"{m.key} refuse relief",
                lambda: services.form_refuse_relief(
                    form=form(),
                    actor=reviewer,
                    reason="属地管理：安置工作由区政府负责，请继续办理。",
                ),
            )
        if target.amend:
            t = pace.after(t, 2)
            opinion = m.cac_opinion + "另请一并核实该物业公司近三年收费公示情况。"
            tl.add(
                t,
                f"{m.key} amend",
                lambda: services.form_amend(
                    form=form(), actor=reviewer, reason="补充核实要点", cac_opinion=opinion
                ),
            )
        if target.extension:
            t = self._plan_extension(m, target, form, t, pace, reviewer, handler)
        if status == S.SIGNED:
            return
        t = pace.after(t, gaps["respond"])
        tl.add(t, f"{m.key} respond", lambda: self._respond(m, form(), handler))
        if status == S.RESPONDED:
            return
        t = pace.after(t, LATE_FEEDBACK_GAP if target.late_feedback else FEEDBACK_GAP)
        filer = self.filer(target.unit)
        tl.add(t, f"{m.key} feedback", lambda: self._feedback(m, form(), filer))
        if status == S.FEEDBACK_FILED:
            return
        t = pace.after(t, REVIEW_GAP)
        if status == S.REWORK:
            reason = "反馈未说明剩余欠薪的结清时间和对责任单位的处理，请补充后重新反馈。"
            tl.add(
                t,
                f"{m.key} send back",
                lambda: services.form_send_back(form=form(), actor=reviewer, reason=reason),
            )
            return
        if status == S.CLOSED:
            tl.add(
                t,
                f"{m.key} accept",
                lambda: services.form_accept(
                    form=form(), actor=reviewer, reason="办理到位，同意办结。"
                ),
            )
            return
        raise ValueError(f"story of {m.key} cannot end in {status}")

    def _plan_relief(
        self,
        m: Matter,
        target: Target,
        form: Callable[[], Assignment],
        t: dt.datetime,
        pace: Pace,
        reviewer: Any,
    ) -> None:
        tl, handler = self.timeline, self.handler(target.unit)
        suggested = self.units.get(target.suggest or target.reassign_to)
        t = pace.after(t, 2)
        tl.add(
            t,
            f"{m.key} relief",
            lambda: services.form_request_relief(
                form=form(),
                actor=handler,
                reason="该事项属地管理，不属于本单位职责范围，请改派。",
                suggested_unit=suggested,
            ),
        )
        if target.status == S.RELIEF_REQUESTED:
            return
        new_forms: list[Assignment] = []
        new_unit = self.units[target.reassign_to]
        t = pace.after(t, 1.5)
        tl.add(
            t,
            f"{m.key} reassign",
            lambda: new_forms.append(
                services.form_reassign(
                    form=form(), actor=reviewer, unit=new_unit, reason="按属地管理原则改派。"
                )
            ),
        )
        self.plan_unit_work(
            m, Target(target.reassign_to, target.then), lambda: new_forms[0], t, pace, reviewer
        )

    def _plan_extension(
        self,
        m: Matter,
        target: Target,
        form: Callable[[], Assignment],
        t: dt.datetime,
        pace: Pace,
        reviewer: Any,
        handler: Any,
    ) -> dt.datetime:
        tl = self.timeline

        def request() -> None:
            current = Assignment.objects.get(pk=form().pk)
            assert current.feedback_deadline is not None
            until = get_calendar().add_working_days(current.feedback_deadline, 3)
            services.form_request_extension(
                form=current,
                actor=handler,
                until=until,
                reason="需协调多个部门联合核查，申请延期3个工作日反馈。",
            )

        t = pace.after(t, 3)
        tl.add(t, f"{m.key} request extension", request)
        if target.extension == "pending":
            return t
        grant = target.extension == "granted"
        t = pace.after(t, 2)
        tl.add(
            t,
            f"{m.key} decide extension",
            lambda: services.form_decide_extension(
                form=form(),
                actor=reviewer,
                grant=grant,
                reason="同意延期。" if grant else "该事项不涉及多部门，请按原时限反馈。",
            ),
        )
        return t

    def _respond(self, m: Matter, form: Assignment, handler: Any) -> None:
        assert m.response, f"matter {m.key} has no response text"
        services.form_respond(
            form=form,
            actor=handler,
            platform=m.platform,
            text=m.response,
            url=f"{m.sources[0].url}#reply",
        )

    def _feedback(self, m: Matter, form: Assignment, filer: Any) -> None:
        assert m.feedback, f"matter {m.key} has no feedback text"
        kind = Feedback.Kind.NOT_YET_POSSIBLE if m.not_yet_possible else Feedback.Kind.HANDLED
        services.form_file_feedback(
            form=form, actor=filer, kind=kind, text=m.feedback, outcome=m.outcome
        )

    # --- the two emergencies (R3.4, R3.6) ----------------------------------------------------

    def _phone_assign(self, m: Matter, unit: str, callee: str, phone: str, content: str) -> Any:
        from django.utils import timezone

        return services.form_phone_assign(
            actor=self.monitor,
            unit=self.units[unit],
            title=m.title,
            summary=m.summary,
            category=m.category,
            severity=m.severity,
            called_at=timezone.now(),
            callee_name=callee,
            callee_phone=phone,
            content=content,
            reported_to_leaders="已报告市委常委、宣传部部长，分管副市长",
            reply_channel=m.reply_channel,
            sources=[s.as_dict() for s in m.sources],
        )

    def _milestone(
        self, form: Callable[[], Assignment], kind: str, actor: Any, place: str, url: str = ""
    ) -> None:
        ms = (
            Milestone.objects.filter(
                assignment=form(),
                kind=kind,
                clock__done_at__isnull=True,
                clock__stopped_at__isnull=True,
            )
            .order_by("sequence")
            .first()
        )
        assert ms is not None, f"no open milestone {kind}"
        services.milestone_record(milestone=ms, actor=actor, place=place, url=url)

    def plan_fire(self) -> None:
        """Major emergency two days ago: phoned in, back-filled, every R3.6 milestone so far."""
        m, tl, pace = BY_KEY["fire"], self.timeline, Pace(working=False)
        handler, reviewer = self.handler("tz"), self.users["cac_reviewer"]
        K = Milestone.Kind
        holder: list[Assignment] = []

        def form() -> Assignment:
            return holder[0]

        t = tl.ago(hours=48)
        content = "通州区某工业园厂房起火，网上有视频流传并称有人员被困，请立即核实火情和伤亡，5小时内发布权威信息。"
        tl.add(
            t,
            "fire phone",
            lambda: holder.append(
                self._phone_assign(m, "tz", "蒋伟（通州区委宣传部值班）", "0513-86012345", content)
            ),
        )
        t = pace.after(t, 0.4)
        tl.add(
            t,
            "fire backfill",
            lambda: services.form_backfill(form=form(), actor=reviewer, cac_opinion=m.cac_opinion),
        )
        t = pace.after(t, 0.2)
        tl.add(t, "fire sign", lambda: services.form_sign(form=form(), actor=handler))
        t = pace.after(t, 2.4)
        tl.add(
            t,
            "fire authoritative info",
            lambda: self._milestone(
                form,
                K.AUTHORITATIVE_INFO,
                handler,
                "“通州发布”政务微博",
                "https://weibo.com/tzfb/fire-1",
            ),
        )
        t = pace.after(t, 0.1)
        tl.add(t, "fire respond", lambda: self._respond(m, form(), handler))
        t = pace.after(t, 16.5)
        tl.add(
            t,
            "fire press conference",
            lambda: self._milestone(form, K.PRESS_CONFERENCE, handler, "通州区政府新闻发布厅"),
        )
        t = pace.after(t, 2)
        tl.add(t, "fire feedback", lambda: self._feedback(m, form(), handler))
        t = pace.after(t, 6)
        tl.add(
            t,
            "fire continued release",
            lambda: self._milestone(
                form,
                K.CONTINUED_RELEASE,
                handler,
                "“南通发布”政务微博",
                "https://weibo.com/ntfb/fire-2",
            ),
        )
        t = pace.after(t, 1)
        tl.add(
            t,
            "fire note",
            lambda: services.thread_note_add(
                thread=form().thread,
                actor=self.monitor,
                text="网上仍有“多人被困”的旧视频在传播，请在下一次发布中说明起火原因调查进展。",
            ),
        )

    def plan_waterlogging(self) -> None:
        """Phoned in two and a half hours ago; not yet back-filled, first release done."""
        m, tl = BY_KEY["waterlogging"], self.timeline
        handler = self.handler("hm")
        holder: list[Assignment] = []
        content = (
            "海门区多处路段积水严重、有车辆被困，请立即组织排涝救援并通过政务新媒体发布出行提示。"
        )
        t = tl.ago(hours=2.5)
        tl.add(
            t,
            "waterlogging phone",
            lambda: holder.append(
                self._phone_assign(m, "hm", "沈红（海门区应急值班）", "0513-82212345", content)
            ),
        )
        tl.add(
            t + dt.timedelta(hours=1.5),
            "waterlogging authoritative info",
            lambda: self._milestone(
                lambda: holder[0],
                Milestone.Kind.AUTHORITATIVE_INFO,
                handler,
                "“海门发布”政务微博",
                "https://weibo.com/hmfb/rain-1",
            ),
        )
