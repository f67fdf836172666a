"""What each step records, beyond the state it lands on."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from huiying.cases import services
from huiying.cases.models import (
    Assignment,
    Category,
    Feedback,
    Milestone,
    RequestStatus,
    Severity,
    Status,
)
from huiying.cases.selectors import clocks_of, signature_state
from huiying.cases.tests.builders import SOURCE, draft, to_status
from huiying.common.audit import verify_chain
from huiying.common.errors import IllegalTransition, InvalidInput, NotAllowed
from huiying.common.models import AuditEvent

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def events(form: Assignment) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_type="assignment", object_id=str(form.pk)).values_list(
            "action", flat=True
        )
    )


def test_full_life_is_audited_and_the_chain_verifies(city: Any) -> None:
    form = to_status(city, Status.CLOSED)
    assert events(form) == [
        "assignment.create",
        "assignment.submit",
        "assignment.issue",
        "assignment.sign",
        "assignment.respond",
        "assignment.file_feedback",
        "assignment.accept",
    ]
    issue = AuditEvent.objects.get(object_id=str(form.pk), action="assignment.issue")
    assert issue.before["status"] == "in_review" and issue.after["status"] == "issued"
    assert issue.actor_id == city.reviewer.pk
    checked, problem = verify_chain()
    assert problem is None and checked == AuditEvent.objects.count()


def test_number_is_gap_free_per_year_and_only_given_at_issue(city: Any) -> None:
    with time_machine.travel(dt.datetime(2026, 12, 30, 10, tzinfo=SH), tick=False):
        first = to_status(city, Status.ISSUED)
        pending = services.form_submit(form=draft(city), actor=city.monitor)
        with pytest.raises(NotAllowed):
            services.form_issue(form=pending, actor=city.monitor)  # a monitor cannot issue
        second = services.form_issue(form=pending, actor=city.reviewer)
        assert draft(city).number is None
    with time_machine.travel(dt.datetime(2027, 1, 4, 9, tzinfo=SH), tick=False):
        third = to_status(city, Status.ISSUED)
    assert first.number == "通网舆交〔2026〕0001号"
    assert second.number == "通网舆交〔2026〕0002号"
    assert third.number == "通网舆交〔2027〕0001号"


def test_drafter_may_not_review_own_form(city: Any) -> None:
    form = services.assignment_create(
        actor=city.reviewer,
        lead_unit=city.housing,
        title="标题",
        summary="摘要",
        category=Category.COMPLAINT,
        reply_channel="written",
        sources=[SOURCE],
    )[0]
    services.form_submit(form=form, actor=city.reviewer)
    with pytest.raises(NotAllowed, match="不能审核自己"):
        services.form_issue(form=form, actor=city.reviewer)
    assert services.form_issue(form=form, actor=city.reviewer2).status == Status.ISSUED


def test_submit_needs_a_source_item(city: Any) -> None:
    form = draft(city, sources=[])
    with pytest.raises(IllegalTransition, match="舆情信息"):
        services.form_submit(form=form, actor=city.monitor)


@pytest.mark.parametrize(
    "who",
    ["other_handler", "district_leader", "inspector", "monitor", "reviewer", "outsider"],
)
def test_only_the_forms_unit_may_sign(city: Any, who: str) -> None:
    form = to_status(city, Status.ISSUED)
    with pytest.raises(NotAllowed):
        services.form_sign(form=form, actor=getattr(city, who))
    assert Assignment.objects.get(pk=form.pk).status == Status.ISSUED


def test_unit_leader_may_sign_for_the_unit(city: Any) -> None:
    form = to_status(city, Status.ISSUED)
    services.form_sign(form=form, actor=city.housing_leader)
    assert Assignment.objects.get(pk=form.pk).status == Status.SIGNED


def test_signature_records_content_and_a_later_amendment_shows(city: Any) -> None:
    form = to_status(city, Status.ISSUED)
    sig = services.form_sign(
        form=form, actor=city.housing_handler, ip_address="10.1.2.3", user_agent="Mobile Safari"
    )
    form.refresh_from_db()
    assert sig.content_hash == form.issued_content_hash and sig.ip_address == "10.1.2.3"
    assert signature_state(form) == (sig, False)
    with pytest.raises(InvalidInput, match="理由"):
        services.form_amend(form=form, actor=city.reviewer, reason=" ", title="x")
    services.form_amend(form=form, actor=city.reviewer, reason="更正地址", summary="更正后的摘要")
    form.refresh_from_db()
    assert form.version == 2
    latest, changed = signature_state(form)
    assert latest == sig and changed is True


def test_response_on_another_platform_is_flagged(city: Any) -> None:
    form = to_status(city, Status.SIGNED)
    same = services.form_respond(
        form=form, actor=city.housing_handler, platform=SOURCE["platform"], text="已回复"
    )
    other = services.form_respond(
        form=form, actor=city.housing_handler, platform="政务微博", text="已发布"
    )
    assert same.matches_source_platform is True and other.matches_source_platform is False
    form.refresh_from_db()
    assert form.status == Status.RESPONDED and form.responded_at == same.responded_at


def test_cannot_yet_be_handled_is_valid_feedback(city: Any) -> None:
    form = to_status(city, Status.SIGNED)
    with pytest.raises(InvalidInput, match="原因"):
        services.form_file_feedback(
            form=form, actor=city.housing_handler, kind=Feedback.Kind.NOT_YET_POSSIBLE, text=""
        )
    services.form_file_feedback(
        form=form,
        actor=city.housing_handler,
        kind=Feedback.Kind.NOT_YET_POSSIBLE,
        text="需待明年财政预算安排。",
    )
    assert Assignment.objects.get(pk=form.pk).status == Status.FEEDBACK_FILED


def test_send_back_then_rework_then_close(city: Any) -> None:
    form = to_status(city, Status.REWORK)
    assert form.feedbacks.get().review_result == "sent_back"
    services.form_file_feedback(
        form=form, actor=city.housing_handler, kind="handled", text="补充办理情况"
    )
    services.form_accept(form=form, actor=city.reviewer)
    form.refresh_from_db()
    assert form.status == Status.CLOSED and form.closed_at is not None


def test_relief_refused_returns_to_prior_status(city: Any) -> None:
    form = to_status(city, Status.ISSUED)
    services.form_request_relief(
        form=form, actor=city.housing_handler, reason="应由属地负责", suggested_unit=city.district
    )
    services.form_refuse_relief(form=form, actor=city.reviewer, reason="属本部门职责")
    form.refresh_from_db()
    assert form.status == Status.ISSUED
    assert form.relief_requests.get().status == RequestStatus.REFUSED


def test_reassign(city: Any) -> None:
    form = to_status(city, Status.RELIEF_REQUESTED)
    with pytest.raises(InvalidInput, match="相同"):
        services.form_reassign(form=form, actor=city.reviewer, unit=city.housing, reason="x")
    new = services.form_reassign(
        form=form, actor=city.reviewer, unit=city.district, reason="属地管理"
    )
    form.refresh_from_db()
    assert (
        form.status == Status.REASSIGNED
        and form.relief_requests.get().status == RequestStatus.GRANTED
    )
    assert (
        new.status == Status.ISSUED
        and new.unit == city.district
        and new.thread_id == form.thread_id
    )
    assert new.number and new.number != form.number and new.reassigned_from_id == form.pk
    assert new.source_items.count() == form.source_items.count()
    services.form_sign(form=new, actor=city.district_handler)


def test_extension_granted_moves_the_clocks_and_refusal_needs_a_reason(city: Any) -> None:
    form = to_status(city, Status.SIGNED)
    assert form.feedback_deadline is not None
    until = form.feedback_deadline + dt.timedelta(days=7)
    services.form_request_extension(
        form=form, actor=city.housing_handler, until=until, reason="需现场勘查"
    )
    with pytest.raises(IllegalTransition, match="已有待审批"):
        services.form_request_extension(
            form=form, actor=city.housing_handler, until=until, reason="again"
        )
    with pytest.raises(InvalidInput, match="理由"):
        services.form_decide_extension(form=form, actor=city.reviewer, grant=False)
    with pytest.raises(NotAllowed):
        services.form_decide_extension(form=form, actor=city.housing_handler, grant=True)
    stated = form.feedback_deadline
    services.form_decide_extension(form=form, actor=city.reviewer, grant=True)
    form.refresh_from_db()
    # The clocks move; each keeps its first due time, and the form keeps what it stated.
    current = {c.kind: c for c in clocks_of(form)}
    assert current["feedback"].due_at == until and current["reply"].due_at == until
    assert current["feedback"].original_due_at == stated and current["feedback"].extended
    assert form.feedback_deadline == stated
    assert events(form)[-1] == "assignment.grant_extension"
    with pytest.raises(IllegalTransition, match="没有待审批"):
        services.form_decide_extension(form=form, actor=city.reviewer, grant=True)


def test_extension_must_be_later_than_the_current_deadline(city: Any) -> None:
    form = to_status(city, Status.SIGNED)
    assert form.feedback_deadline is not None
    with pytest.raises(InvalidInput, match="晚于"):
        services.form_request_extension(
            form=form, actor=city.housing_handler, until=form.feedback_deadline, reason="x"
        )


def test_multi_unit_matter_gives_one_form_per_unit_with_one_lead(city: Any) -> None:
    lead = draft(city, unit=city.housing, co_units=(city.district, city.district_dept))
    forms = list(Assignment.objects.filter(thread=lead.thread).order_by("pk"))
    assert [f.unit for f in forms] == [city.housing, city.district, city.district_dept]
    assert [f.is_lead for f in forms] == [True, False, False]
    note = services.thread_note_add(
        thread=lead.thread, actor=city.district_handler, text="我区口径：已约谈物业。"
    )
    assert note.unit == city.district
    with pytest.raises(NotAllowed):
        services.thread_note_add(thread=lead.thread, actor=city.other_handler, text="无关单位")


def test_duplicate_co_units_are_refused(city: Any) -> None:
    with pytest.raises(InvalidInput, match="重复"):
        draft(city, co_units=(city.district, city.district))
    assert not Assignment.objects.exists()


def test_withdraw_needs_reason_and_is_terminal(city: Any) -> None:
    form = to_status(city, Status.SIGNED)
    with pytest.raises(InvalidInput):
        services.form_withdraw(form=form, actor=city.reviewer, reason="")
    services.form_withdraw(form=form, actor=city.reviewer, reason="舆情已自行平息")
    with pytest.raises(IllegalTransition, match="已撤回"):
        services.form_respond(form=form, actor=city.housing_handler, platform="微博", text="x")


def test_invalid_choice_is_refused_with_a_clear_message(city: Any) -> None:
    with pytest.raises(InvalidInput, match="category"):
        draft(city, category="nonsense")
    with pytest.raises(InvalidInput, match="反馈时限"):
        draft(
            city,
            reply_deadline=timezone.now() + dt.timedelta(days=3),
            feedback_deadline=timezone.now() + dt.timedelta(days=1),
        )


def test_emergency_phone_assignment_milestones_and_backfill(city: Any) -> None:
    call = dt.datetime(
        2026, 10, 1, 21, 0, tzinfo=SH
    )  # a holiday evening: emergency clocks ignore it
    with time_machine.travel(call + dt.timedelta(minutes=5), tick=False):
        form = services.form_phone_assign(
            actor=city.monitor,
            unit=city.district,
            title="崇川区某商场火灾",
            summary="网传商场起火",
            category=Category.EMERGENCY_INCIDENT,
            severity=Severity.I,
            called_at=call,
            callee_name="区值班室 张某",
            content="请立即核实，5小时内发布权威信息。",
        )
    # The call is the assignment: issued at once, the unit's clocks run from the call.
    assert form.status == Status.ISSUED and form.phone_assignment.callee_name == "区值班室 张某"
    due = {(c.kind, c.round): c for c in clocks_of(form)}
    assert due[("backfill", 1)].due_at == call + dt.timedelta(hours=24)
    assert due[("backfill", 1)].owner == "cac"
    assert due[("sign", 1)].due_at == call + dt.timedelta(minutes=30)  # severity I, natural
    assert due[("reply", 1)].due_at == form.reply_deadline == call + dt.timedelta(hours=5)
    assert due[("authoritative_info", 1)].due_at == call + dt.timedelta(hours=5)
    assert due[("press_conference", 1)].due_at == call + dt.timedelta(hours=24)

    info = form.milestones.get(kind=Milestone.Kind.AUTHORITATIVE_INFO)
    with time_machine.travel(call + dt.timedelta(hours=4), tick=False):
        services.milestone_record(
            milestone=info, actor=city.district_handler, place="崇川发布 政务微博"
        )
        with pytest.raises(IllegalTransition, match="已登记"):
            services.milestone_record(milestone=info, actor=city.district_handler, place="again")
    release = form.milestones.get(kind=Milestone.Kind.CONTINUED_RELEASE, sequence=1)
    with time_machine.travel(call + dt.timedelta(hours=30), tick=False):
        services.milestone_record(milestone=release, actor=city.monitor, place="南通发布")
        assert {c.key: c.state for c in clocks_of(form)}["backfill-1"] == "overdue"
        services.form_backfill(
            form=form,
            actor=city.monitor,
            summary="补填：商场火灾已扑灭，无人员伤亡。",
            sources=[{"platform": "微博", "url": "https://weibo.example.cn/1", "text": "起火"}],
        )
    nxt = {(c.kind, c.round): c for c in clocks_of(form)}[("continued_release", 2)]
    assert nxt.due_at == call + dt.timedelta(hours=30) + dt.timedelta(hours=24)
    form.refresh_from_db()
    assert form.status == Status.ISSUED and form.number
    assert form.source_items.filter(platform="微博").exists()
    backfill = AuditEvent.objects.get(object_id=str(form.pk), action="assignment.backfill")
    assert backfill.meta["late"] is True
    ms_event = AuditEvent.objects.filter(
        object_id=str(form.pk), action="assignment.record_milestone"
    ).first()
    assert ms_event is not None and ms_event.meta["late"] is False


def test_phone_assignment_is_only_for_emergencies(city: Any) -> None:
    with pytest.raises(InvalidInput, match="紧急"):
        services.form_phone_assign(
            actor=city.monitor,
            unit=city.district,
            title="t",
            summary="s",
            category=Category.COMPLAINT,
            severity=Severity.IV,
            called_at=timezone.now(),
            callee_name="x",
            content="y",
        )


def test_deadlines_on_issue_follow_the_working_calendar(city: Any) -> None:
    with time_machine.travel(dt.datetime(2026, 9, 30, 16, 0, tzinfo=SH), tick=False):
        form = to_status(city, Status.ISSUED, severity=Severity.IV)
    # Severity IV ordinary item: sign within 8 working hours, across the National Day holiday.
    sign = next(c for c in clocks_of(form) if c.kind == "sign")
    assert sign.due_at == dt.datetime(2026, 10, 8, 16, 30, tzinfo=SH)
    assert form.reply_deadline is not None and form.reply_deadline > sign.due_at


def test_finished_forms_stop_their_clocks(city: Any) -> None:
    form = to_status(city, Status.ISSUED)
    with time_machine.travel(timezone.now() + dt.timedelta(days=60), tick=False):
        assert {c.kind: c.state for c in clocks_of(form)}["sign"] == "overdue"
        services.form_withdraw(form=form, actor=city.reviewer, reason="重复")
        form.refresh_from_db()
        states = {c.kind: c.state for c in clocks_of(form)}
        assert states["sign"] == "stopped" and states["feedback"] == "stopped"
        assert all(c.remaining_seconds is None for c in clocks_of(form))
