"""The ladder in the demo city (催办督办): one form at every rung, built through the services.

Each form is issued three weeks back with its sign and reply done at once; its feedback
deadline is chosen (by searching the ladder's own plan) so that, when the demo is built, it
sits at its rung: warned, reminded once, reminded twice, escalated to 督查室, under a 督办单
open / explained / closed, referred to 监委, and referred with the outcome recorded. The sweep
runs as the worker would, inside the story's timeline, so every step is an audited event at
its moment. (Later, the running worker moves the open ones on, as it would in real life.)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from huiying.cases import services
from huiying.cases.models import Assignment, Category, Clock, ReplyChannel, Severity
from huiying.common.workcalendar import get_calendar
from huiying.supervision import ladder
from huiying.supervision import services as supervision
from huiying.supervision.models import Outcome, SupervisionOrder
from huiying.supervision.sweep import supervision_sweep

# (unit key, rung, title)
RUNGS: tuple[tuple[str, str, str], ...] = (
    ("jtj", "warned", "网民反映公交12路末班车提前收车"),
    ("rsj", "reminded_once", "网民反映灵活就业人员社保补缴办理难"),
    ("ybj", "reminded_twice", "网民反映异地就医备案审核进度慢"),
    ("mzj", "escalated", "网民反映养老服务补贴发放延迟"),
    ("wlj", "order_open", "网民反映景区门票预约系统频繁故障"),
    ("cgj", "order_explained", "网民反映主干道占道经营长期无人管"),
    ("zjj", "order_closed", "网民反映保障房小区维修基金使用不透明"),
    ("kfq", "referred", "网民反映开发区企业欠薪投诉无人受理"),
    ("rd", "decided", "网民反映乡镇污水管网建成后长期未通水"),
)


def _due_for(rung: str, issued: dt.datetime, now: dt.datetime) -> dt.datetime:
    """A feedback deadline that puts the form at ``rung`` at ``now`` under the default rules."""
    cal = get_calendar()
    rules = ladder.Book().rules(Category.VITAL_INTEREST, Severity.IV)
    if rung == "warned":
        return now + dt.timedelta(days=2)

    def at(kind: str, n: int, due: dt.datetime) -> dt.datetime:
        plan = ladder.plan(
            started=issued,
            due=due,
            measure=Clock.Measure.WORKING,
            owner=Clock.Owner.UNIT,
            rules=rules,
            urgent=False,
            cal=cal,
        )
        return next(r.at for r in plan if r.kind == kind and r.n == n)

    want: Callable[[dt.datetime], bool]
    if rung == "reminded_once":
        want = lambda d: at("reminder", 1, d) <= now < at("reminder", 2, d)  # noqa: E731
    elif rung == "reminded_twice":
        want = lambda d: at("reminder", 2, d) <= now < at("escalation", 1, d)  # noqa: E731
    else:  # escalated and beyond: escalated at least five hours before now
        want = lambda d: at("escalation", 1, d) <= now - dt.timedelta(hours=5)  # noqa: E731
    due = now - dt.timedelta(minutes=30)
    while due > issued + dt.timedelta(days=1):
        if want(due):
            return due
        due -= dt.timedelta(minutes=30)
    raise RuntimeError(f"no feedback deadline puts a demo form at {rung}")


def plan_ladder(city: Any) -> None:
    """Add the ladder's forms and steps to the demo city's timeline (``DemoCity``)."""
    tl = city.timeline
    now = tl.now
    issued = tl.working_day_start(15, "09:30")
    inspector = city.users["dcs_staff"]
    discipline = city.users["jw_staff"]
    forms: dict[str, Assignment] = {}
    for unit, rung, title in RUNGS:
        due = _due_for(rung, issued, now - dt.timedelta(minutes=5))
        reply_due = get_calendar().add_working_days(issued, 1)
        handler = city.handler(unit)

        def make(
            unit: str = unit,
            rung: str = rung,
            title: str = title,
            due: dt.datetime = due,
            reply_due: dt.datetime = reply_due,
            handler: Any = handler,
        ) -> None:
            form = services.assignment_create(
                actor=city.monitor,
                lead_unit=city.units[unit],
                co_units=[],
                title=title,
                summary=f"{title}，相关帖文跟帖较多，要求有关部门尽快回应。",
                category=Category.VITAL_INTEREST,
                severity=Severity.IV,
                reply_channel=ReplyChannel.SAME_PLATFORM,
                cac_opinion="请核实情况，在原平台回应网民关切，并按时反馈办理情况。",
                sources=[
                    {
                        "platform": "人民网地方领导留言板",
                        "url": "https://liuyan.people.com.cn/threads/content?tid=2026",
                        "title": title,
                        "text": title + "，希望有关部门给个说法。",
                    }
                ],
                reply_deadline=reply_due,
                feedback_deadline=due,
            )[0]
            form = services.form_submit(form=form, actor=city.monitor)
            form = services.form_issue(form=form, actor=city.reviewer())
            services.form_sign(form=form, actor=handler)
            services.form_respond(
                form=form, actor=handler, platform="人民网地方领导留言板", text="已收悉，正在核实。"
            )
            forms[rung] = form

        tl.add(
            issued + dt.timedelta(minutes=len(forms) + RUNGS.index((unit, rung, title))),
            f"ladder {rung} issue",
            make,
        )

    # The worker's sweep at the moments that matter, then the people of the later rungs.
    t = now - dt.timedelta(hours=4)
    tl.add(t, "ladder sweep", lambda: supervision_sweep())
    orders: dict[str, SupervisionOrder] = {}

    def order(rung: str) -> None:
        orders[rung] = supervision.issue_order(
            actor=inspector,
            form=forms[rung],
            requirements="请单位主要负责同志亲自过问，书面说明未按时反馈的原因、目前进展和整改措施。",
        )

    def explain(rung: str) -> None:
        supervision.move_order(
            actor=city.filer(_unit(rung)),
            order=orders[rung],
            action="explain",
            text="因承办人员岗位调整，交接不及时导致逾期。现已完成核实并在原平台回应，"
            "下一步建立舆情交办台账，专人逐件跟踪。",
        )

    for i, rung in enumerate(
        ("order_open", "order_explained", "order_closed", "referred", "decided")
    ):
        tl.add(t + dt.timedelta(minutes=10 + i), f"ladder {rung} order", lambda r=rung: order(r))
    for i, rung in enumerate(("order_explained", "order_closed")):
        tl.add(
            t + dt.timedelta(hours=1, minutes=i),
            f"ladder {rung} explain",
            lambda r=rung: explain(r),
        )
    tl.add(
        t + dt.timedelta(hours=2),
        "ladder close",
        lambda: supervision.move_order(
            actor=inspector,
            order=orders["order_closed"],
            action="close",
            text="说明属实，整改措施可行，同意办结督办。",
        ),
    )
    for i, rung in enumerate(("referred", "decided")):
        tl.add(
            t + dt.timedelta(hours=2, minutes=10 + i),
            f"ladder {rung} refer",
            lambda r=rung: supervision.move_order(
                actor=inspector,
                order=orders[r],
                action="refer",
                text="经催办、督办仍未按时反馈，造成不良社会影响，移送问责。",
            ),
        )

    def decide() -> None:
        from huiying.supervision.models import Referral

        supervision.decide(
            actor=discipline,
            referral=Referral.objects.get(assignment=forms["decided"]),
            outcome=Outcome.EFFICIENCY,
            reason="未按规定时限办理网络舆情交办事项，经催办督办仍未整改，予以效能问责。",
        )

    tl.add(t + dt.timedelta(hours=3), "ladder decide", decide)
    tl.add(now - dt.timedelta(minutes=2), "ladder sweep now", lambda: supervision_sweep())


def _unit(rung: str) -> str:
    return next(u for u, r, _t in RUNGS if r == rung)
