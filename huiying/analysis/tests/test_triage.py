"""Analysis of collected items, events, the ranked queue, scoping, drafting, corrections, alerts."""

from __future__ import annotations

import json
from typing import Any

import pytest

from huiying.analysis import selectors, services
from huiying.analysis.models import Correction, Event, ItemAnalysis, Proposal
from huiying.analysis.tests.support import collect, post
from huiying.cases import services as cases_services
from huiying.cases.models import Assignment, Category, ReplyChannel, Severity, Status
from huiying.common import outbox
from huiying.common.models import OutboxEvent

pytestmark = pytest.mark.django_db

NOISE_1 = "崇川区濠河边烧烤店每天营业到凌晨，油烟噪音扰民，居民多次投诉无人处理"
NOISE_2 = "崇川濠河边那家烧烤店噪音扰民太严重了，凌晨还在营业，投诉也没用"
FIRE = "海门区某小区高层住宅突发火灾，浓烟滚滚，消防正在赶来"
FIRE_2 = "海门小区火灾现场视频，高层住宅浓烟，多户居民被困等待救援"
SCHOOL = "崇川某学校食堂饭菜质量差，家长投诉学校不作为"


def _event(item: Any) -> Event:
    return ItemAnalysis.objects.get(item=item).event  # type: ignore[return-value]


def test_collected_items_are_analysed_and_grouped_into_events(city: Any, scores: Any) -> None:
    a, b, fire, school, chat = collect(
        post(NOISE_1, likes=5),
        post(NOISE_2, likes=1),
        post(FIRE, likes=30),
        post(SCHOOL),
        post("今天天气不错，出去走走"),
    )
    assert ItemAnalysis.objects.count() == 5
    # Different posts about the same incident: same place, same category, similar words.
    assert _event(a) == _event(b)
    noise = _event(a)
    assert noise.item_count == 2
    assert noise.places == ["崇川"]
    assert noise.category == Category.VITAL_INTEREST
    assert noise.lead_unit == city.district
    # A different matter in the same district, and an incident elsewhere, are events of their own.
    assert _event(school) not in (noise, None)
    assert _event(fire) not in (noise, _event(school))
    # Nothing for the government: analysed but on no desk.
    assert ItemAnalysis.objects.get(item=chat).event is None
    assert Event.objects.count() == 3


def test_copies_join_their_originals_event(city: Any, scores: Any) -> None:
    (original,) = collect(post(NOISE_1, likes=5))
    (copy,) = collect(post(NOISE_1), code="repost")
    assert copy.duplicate_of_id == original.pk
    assert _event(copy) == _event(original)
    assert _event(original).item_count == 2


def test_analysis_is_idempotent(city: Any, scores: Any) -> None:
    items = collect(post(NOISE_1), post(NOISE_2))
    again = services.analyse_items(item_ids=[i.pk for i in items])
    assert again.analysed == 0
    assert ItemAnalysis.objects.count() == 2
    assert Event.objects.get().item_count == 2


def test_posts_outside_the_window_start_a_new_event(city: Any, scores: Any) -> None:
    (old,) = collect(post(NOISE_1, minutes_ago=60 * 24 * 5))
    (new,) = collect(post(NOISE_2))
    assert _event(old) != _event(new)


def test_queue_ranks_emergency_then_severity_heat_negativity(city: Any, scores: Any) -> None:
    collect(post(NOISE_1, likes=500), post(SCHOOL, likes=1), post(FIRE, likes=0))
    ranked = list(selectors.queue(city.monitor, selectors.QueueFilters()))
    assert [e.category for e in ranked] == [
        Category.EMERGENCY_INCIDENT,  # emergency first, even with no heat
        Category.COMPLAINT,  # severity III before IV
        Category.VITAL_INTEREST,
    ]
    # Same class and severity: hotter first, then more negative.
    e1, e2 = Event.objects.filter(category=Category.VITAL_INTEREST).get(), ranked[1]
    e2.category, e2.severity, e2.severity_rank = e1.category, e1.severity, e1.severity_rank
    e2.heat = e1.heat
    e2.negativity = e1.negativity + 0.1
    e2.save()
    ordered = list(selectors.queue(city.monitor, selectors.QueueFilters()))
    assert ordered.index(e2) < ordered.index(e1)


def test_queue_filters(city: Any, scores: Any) -> None:
    from huiying.monitoring.models import KeywordRule

    rule = KeywordRule.objects.create(name="学校", expression="学校")
    collect(post(NOISE_1), post(FIRE), post(SCHOOL))
    q = selectors.QueueFilters
    assert {e.places[0] for e in selectors.queue(city.monitor, q(place="海门"))} == {"海门"}
    assert selectors.queue(city.monitor, q(unit_id=city.other_district.pk)).count() == 1
    assert selectors.queue(city.monitor, q(topic="教育文体")).count() == 1
    assert selectors.queue(city.monitor, q(query="烧烤")).count() == 1
    assert selectors.queue(city.monitor, q(emergency_only=True)).count() == 1
    assert [e.topic for e in selectors.queue(city.monitor, q(rule_id=rule.pk))] == ["教育文体"]


def test_district_monitor_sees_his_jurisdiction_only(
    city: Any, scores: Any, district_monitor: Any
) -> None:
    collect(post(NOISE_1), post(FIRE))
    mine = list(selectors.queue(district_monitor, selectors.QueueFilters()))
    assert [e.places for e in mine] == [["崇川"]]
    assert selectors.queue(city.monitor, selectors.QueueFilters()).count() == 2
    assert selectors.queue(city.housing_handler, selectors.QueueFilters()).count() == 0
    assert selectors.may_triage(district_monitor)
    assert not selectors.may_triage(city.housing_handler)
    assert not selectors.may_draft(district_monitor)


def test_emergency_alerts_the_people_on_duty_once(city: Any, scores: Any) -> None:
    collect(post(FIRE, likes=3))
    collect(post(FIRE_2))  # more about the same fire: the same event, no second alert
    event = Event.objects.get()
    assert event.item_count == 2
    alerts = OutboxEvent.objects.filter(topic="notify.request")
    assert alerts.count() == 1
    payload = alerts.get().payload
    assert payload["template"] == "triage.emergency"
    assert payload["urgent"] is True
    assert payload["dedupe_key"] == f"triage:emergency:event:{event.pk}"
    assert {"office": "cac", "roles": ["monitor", "reviewer"]} in payload["recipients"]["offices"]
    assert payload["recipients"]["units"] == [{"code": "hm", "roles": ["monitor"]}]
    assert payload["link"] == f"/triage/events/{event.pk}/"
    assert payload["context"]["subject"].startswith("紧急舆情")
    # Handling the batch again changes nothing.
    services.analyse_items(item_ids=list(ItemAnalysis.objects.values_list("item_id", flat=True)))
    assert alerts.count() == 1


def test_ordinary_items_raise_no_alert(city: Any, scores: Any) -> None:
    collect(post(NOISE_1), post(SCHOOL))
    assert not OutboxEvent.objects.filter(topic="notify.request").exists()


def test_merge_and_split(city: Any, scores: Any) -> None:
    a, school = collect(post(NOISE_1), post(SCHOOL))
    noise, other = _event(a), _event(school)
    merged = services.events_merge(target=noise, others=[other], actor=city.monitor)
    other.refresh_from_db()
    assert other.status == Event.Status.MERGED and other.merged_into == merged
    assert merged.item_count == 2
    new = services.item_split(event=merged, item=school, actor=city.monitor)
    assert _event(school) == new and new.item_count == 1
    merged.refresh_from_db()
    assert merged.item_count == 1
    split = Correction.objects.get(kind=Correction.Kind.SPLIT)
    assert split.item == school


def test_mark_irrelevant_is_a_correction(city: Any, scores: Any) -> None:
    (a,) = collect(post(NOISE_1))
    event = services.event_mark_irrelevant(event=_event(a), actor=city.monitor)
    assert event.status == Event.Status.IRRELEVANT
    c = Correction.objects.get()
    assert c.kind == Correction.Kind.IRRELEVANT and c.final["category"] is None
    assert c.proposed["category"] == "R3.3-2"
    assert selectors.queue(city.monitor, selectors.QueueFilters()).count() == 0
    services.event_restore(event=event, actor=city.monitor)
    assert not Correction.objects.exists()


def test_drafting_from_an_event_fills_one_form_per_unit(city: Any, scores: Any) -> None:
    items = collect(
        post("崇川和海门交界处化工厂起火，浓烟飘向两区居民区", likes=50),
        post("崇川海门交界化工厂起火了，两区居民都闻到刺鼻气味", likes=10),
    )
    event = _event(items[0])
    assert event.unit_codes == ["nt-zjj", "cc", "hm"]
    forms = services.event_draft(event=event, actor=city.monitor)
    assert [f.unit for f in forms] == [city.housing, city.district, city.other_district]
    assert [f.is_lead for f in forms] == [True, False, False]
    lead = forms[0]
    assert lead.status == Status.DRAFT
    assert lead.category == Category.EMERGENCY_INCIDENT
    assert lead.severity == Severity.II
    assert lead.reply_channel == ReplyChannel.GOV_MEDIA
    assert lead.reply_deadline and lead.feedback_deadline
    assert lead.reply_deadline <= lead.feedback_deadline
    assert "研判依据" in lead.cac_opinion and "海门" in lead.cac_opinion
    assert "共监测到相关信息 2 条" in lead.summary
    # The sources are the collected items themselves, linked.
    sources = list(lead.source_items.order_by("pk"))
    assert {s.item_id for s in sources} == {i.pk for i in items}
    assert sources[0].url == items[0].url
    event.refresh_from_db()
    assert event.status == Event.Status.DRAFTED
    assert Proposal.objects.filter(event=event).count() == 3


def test_deadlines_come_from_the_policy_table(city: Any, scores: Any) -> None:
    from huiying.cases import deadlines

    proposal = services.proposal_for(
        category=Category.COMPLAINT, severity=Severity.III, unit_codes=["cc"], reasons=[]
    )
    policy = deadlines.limits_for(Category.COMPLAINT, Severity.III)
    assert proposal.units == [city.district]
    start = proposal.reply_deadline
    assert deadlines.add(start, policy.feedback - policy.reply, policy.measure) >= start


def _submit(city: Any, form: Assignment) -> None:
    cases_services.form_submit(form=form, actor=city.monitor)
    outbox.drain("analysis.proposals")


def test_accepted_proposal_and_corrections(city: Any, scores: Any) -> None:
    (a,) = collect(post(NOISE_1))
    forms = services.event_draft(event=_event(a), actor=city.monitor)
    _submit(city, forms[0])
    p = Proposal.objects.get(assignment=forms[0])
    assert p.accepted is True and p.changed == []
    assert selectors.acceptance().percent == "100%"
    c = Correction.objects.get()
    assert c.kind == Correction.Kind.FORM and c.accepted
    assert c.final == {
        "category": "R3.3-2",
        "severity": "IV",
        "units": ["cc"],
        "reply_channel": "same_platform",
        "topic": "城乡建设",
    }
    row = __import__("json").loads(next(iter(selectors.corrections_jsonl())))
    assert (row["topic"], row["lead_unit"]) == ("城乡建设", "cc")


def test_changed_proposal_is_stored_as_training_data(city: Any, scores: Any) -> None:
    (a,) = collect(post(SCHOOL))
    (form,) = services.event_draft(event=_event(a), actor=city.monitor)
    cases_services.form_edit(
        form=form, actor=city.monitor, severity=Severity.II, category=Category.MORALITY
    )
    _submit(city, form)
    p = Proposal.objects.get()
    assert p.accepted is False and p.changed == ["category", "severity"]
    acc = selectors.acceptance()
    assert (acc.decided, acc.accepted, acc.percent) == (1, 0, "0%")
    assert acc.changed == {"类别": 1, "等级": 1}
    lines = [json.loads(x) for x in selectors.corrections_jsonl()]
    assert len(lines) == 1
    row = lines[0]
    assert row["id"] == a.pk and row["content"] == a.text_simplified
    assert (row["category"], row["severity"], row["accepted"]) == ("R3.3-5", "II", False)
    assert row["proposed"]["category"] == "R3.3-4"


def test_forms_typed_by_hand_are_not_counted(city: Any, scores: Any) -> None:
    forms = cases_services.assignment_create(
        actor=city.monitor,
        lead_unit=city.district,
        title="手工拟制",
        summary="摘要",
        category=Category.COMPLAINT,
        reply_channel=ReplyChannel.WRITTEN,
        sources=[{"platform": "微博", "url": "https://weibo.example.cn/x", "text": "帖子"}],
    )
    _submit(city, forms[0])
    assert selectors.acceptance().decided == 0
    assert not Correction.objects.exists()


def test_only_cac_drafters_draft(city: Any, scores: Any, district_monitor: Any) -> None:
    from huiying.common.errors import NotAllowed

    (a,) = collect(post(NOISE_1))
    with pytest.raises(NotAllowed):
        services.event_draft(event=_event(a), actor=district_monitor)


def test_item_draft_uses_the_items_own_proposal(city: Any, scores: Any) -> None:
    a, b = collect(post(NOISE_1), post(NOISE_2))
    forms = services.item_draft(item=b, actor=city.monitor)
    assert [s.item_id for s in forms[0].source_items.all()] == [b.pk]
    assert forms[0].unit == city.district


def test_severity_one_or_two_alerts_even_outside_the_emergency_classes(
    city: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from huiying.analysis.tests.support import standin

    def graver(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out = standin(records)
        for r in out:
            r["severity"] = "I"  # e.g. a complaint about a school that the model rates Ⅰ
        return out

    monkeypatch.setattr("huiying.analysis.engine.analyze", graver)
    (item,) = collect(post(SCHOOL))
    event = _event(item)
    assert not event.is_emergency and event.severity == Severity.I
    assert OutboxEvent.objects.filter(topic="notify.request").count() == 1


def test_the_monitoring_item_page_links_to_its_analysis(city: Any, scores: Any) -> None:
    from django.test import Client

    (item,) = collect(post(NOISE_1))
    c = Client()
    c.force_login(city.monitor)
    html = c.get(f"/monitoring/items/{item.pk}/").content.decode()
    assert f"/triage/items/{item.pk}/" in html


def test_a_copy_in_the_same_batch_joins_its_original(city: Any, scores: Any) -> None:
    original, copy = collect(post(NOISE_1, likes=2), post(NOISE_1, minutes_ago=5))
    assert copy.duplicate_of_id == original.pk
    assert _event(copy) == _event(original)
    assert _event(original).item_count == 2


def test_an_untitled_posts_event_is_titled_with_its_words_as_published(
    city: Any, scores: Any
) -> None:
    sentence = (
        "崇川区濠河边烧烤店每天营业到凌晨，油烟噪音扰民！居民多次投诉（12345）无人处理，"
        "希望城管、环保部门联合执法，还我们一个安静的夜晚，老人孩子都睡不着觉"
    )
    run_on = "海门区某小区高层住宅突发火灾浓烟滚滚消防正在赶来" * 4
    short, long, endless = collect(
        post(NOISE_1), post(sentence, minutes_ago=5000), post(run_on, minutes_ago=9000)
    )
    # Full-width punctuation kept (the folded form would show "凌晨,油烟").
    assert _event(short).title == NOISE_1
    # Ended at the sentence end within 60 characters …
    assert _event(long).title == "崇川区濠河边烧烤店每天营业到凌晨，油烟噪音扰民！"
    # … or cut at 60 with an ellipsis.
    assert _event(endless).title == run_on[:60] + "…"
