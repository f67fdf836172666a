"""``huiying audit verify`` replays each form's events against its row, content and signatures:
a change made in SQL, behind the services, is found and named; a city's real work is not."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from huiying.cases import services
from huiying.cases.models import Assignment, Signature, Status
from huiying.cases.tests.builders import PHONE, to_status
from huiying.cli import main
from huiying.common.checkpoints import write_checkpoint
from huiying.common.tests.tamper import as_db_admin
from huiying.orgs.services import unit_save_changes

S = Status


@pytest.fixture(autouse=True)
def _cli_keeps_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    # run_from_argv closes every connection when done, which would end the test's transaction.
    monkeypatch.setattr("django.core.management.base.connections.close_all", lambda: None)


def cli_verify(capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = 0
    try:
        main(["audit", "verify"])
    except SystemExit as exited:
        code = int(exited.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def signed_form(city: Any) -> Assignment:
    form = to_status(city, S.SIGNED)
    write_checkpoint(reason="test")
    return form


def test_forms_in_every_state_verify_clean(city: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """No false alarm from the real services: every status, a phoned-in form before and after
    its back-fill, an amended form signed twice, a reassigned one."""
    for status in S.values:
        to_status(city, status)
    to_status(city, PHONE)
    phoned = to_status(city, PHONE, unit=city.housing)
    services.form_sign(form=phoned, actor=city.housing_handler)
    services.form_backfill(
        form=phoned,
        actor=city.reviewer,
        summary="补填：浓烟已控制。",
        sources=[{"platform": "微博", "url": "https://weibo.example.cn/2", "text": "现场图"}],
    )
    services.form_confirm_backfill(form=phoned, actor=city.reviewer2)  # four eyes afterwards
    amended = to_status(city, S.ISSUED)
    services.form_amend(form=amended, actor=city.reviewer, reason="标题有误", title="改过的标题")
    services.form_sign(form=amended, actor=city.housing_handler)
    signed_then_amended = to_status(city, S.SIGNED)
    services.form_amend(
        form=signed_then_amended, actor=city.reviewer, reason="补充", summary="补充后的摘要"
    )
    write_checkpoint(reason="test")
    code, out, err = cli_verify(capsys)
    assert code == 0, err
    forms = Assignment.objects.count()
    signatures = Signature.objects.count()
    assert f"交办单：{forms} 张的状态与字段与审计事件重放一致" in out
    assert f"{signatures} 份签收记录与其摘要一致" in out


def test_status_changed_in_sql_is_named(city: Any, capsys: pytest.CaptureFixture[str]) -> None:
    form = signed_form(city)
    as_db_admin("UPDATE cases_assignment SET status = %s WHERE id = %s", S.CLOSED, form.pk)
    code, _out, err = cli_verify(capsys)
    assert code == 1
    assert f"交办单 {form.number}：状态为“已办结”，审计记录（至事件 #" in err
    assert "为“已签收”" in err


def test_text_appended_to_a_signed_summary_is_named(
    city: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    form = signed_form(city)
    as_db_admin(
        "UPDATE cases_assignment SET summary = summary || %s WHERE id = %s",
        "（另附：已妥善处理）",
        form.pk,
    )
    code, _out, err = cli_verify(capsys)
    assert code == 1
    assert f"交办单 {form.number}：舆情摘要与审计记录（事件 #" in err
    assert "中的内容不符：在系统之外被改动" in err


def test_the_form_page_and_api_no_longer_say_unchanged_since_signing(city: Any) -> None:
    form = signed_form(city)
    client = Client()
    client.force_login(city.housing_handler)
    page = client.get(f"/forms/{form.pk}/").content.decode()
    assert "签收后交办单内容已被修改" not in page
    as_db_admin(
        "UPDATE cases_assignment SET summary = summary || %s WHERE id = %s", "（补充）", form.pk
    )
    page = client.get(f"/forms/{form.pk}/").content.decode()
    assert "签收后交办单内容已被修改" in page
    assert "内容可能在系统之外被改动" in page
    api = client.get(f"/api/v1/forms/{form.pk}/").json()
    assert api["signature"]["changed_since_signing"] is True


def test_content_and_its_hash_recomputed_together_are_still_found(
    city: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """The attacker also recomputes the stored hash with the application's own function: the
    hash kept in the (keyed) chain gives it away."""
    from huiying.cases.content import content_hash

    form = to_status(city, S.ISSUED)
    as_db_admin("UPDATE cases_assignment SET title = %s WHERE id = %s", "被改的标题", form.pk)
    form.refresh_from_db()
    as_db_admin(
        "UPDATE cases_assignment SET issued_content_hash = %s WHERE id = %s",
        content_hash(form),
        form.pk,
    )
    code, _out, err = cli_verify(capsys)
    assert code == 1
    assert f"交办单 {form.number}：标题与审计记录（事件 #" in err
    assert "交办内容摘要与审计记录" in err


def test_a_signature_changed_or_deleted_in_sql_is_named(
    city: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    form = signed_form(city)
    sig = Signature.objects.get(assignment=form)
    as_db_admin("UPDATE cases_signature SET content_hash = %s WHERE id = %s", "0" * 64, sig.pk)
    code, _out, err = cli_verify(capsys)
    assert code == 1
    assert f"签收记录 #{sig.pk}（陈承办，" in err and "与签收事件 #" in err
    assert "签收的内容摘要或版本被改动" in err

    as_db_admin("DELETE FROM cases_signature WHERE id = %s", sig.pk)
    code, _out, err = cli_verify(capsys)
    assert code == 1
    assert f"签收记录 #{sig.pk}（交办单 #{form.pk}，签收事件 #" in err and "已被删除" in err


def test_number_and_reviewer_changed_in_sql_are_named(
    city: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    form = to_status(city, S.ISSUED)
    as_db_admin(
        "UPDATE cases_assignment SET number = %s, reviewer_id = %s WHERE id = %s",
        "通网舆交〔2026〕9999号",
        city.reviewer2.pk,
        form.pk,
    )
    code, _out, err = cli_verify(capsys)
    assert code == 1
    assert "交办单 通网舆交〔2026〕9999号：交办单编号为“通网舆交〔2026〕9999号”" in err
    assert f"审核人为“#{city.reviewer2.pk}”" in err
    assert "编号与审计记录" in err


def test_a_form_without_events_is_named(city: Any, capsys: pytest.CaptureFixture[str]) -> None:
    form = to_status(city, S.DRAFT)
    as_db_admin(
        "DELETE FROM common_auditevent WHERE object_type = 'assignment' AND object_id = %s",
        str(form.pk),
    )
    code, _out, err = cli_verify(capsys)
    assert code == 1
    assert f"交办单 草稿 #{form.pk}：没有任何审计事件" in err


def test_a_renamed_unit_is_not_a_change_of_its_forms(
    city: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    form = signed_form(city)
    unit = city.housing
    unit.name = "市住房和城乡建设局（更名）"
    unit_save_changes(unit=unit, fields=["name"], actor=city.reviewer)
    # The name before is known only from the rename's event: the form hashed the old name.
    code, out, err = cli_verify(capsys)
    assert code == 0, err
    assert "1 份签收记录与其摘要一致" in out
    client = Client()
    client.force_login(city.housing_handler)
    assert "签收后交办单内容已被修改" not in client.get(f"/forms/{form.pk}/").content.decode()


def test_issuing_and_signing_write_checkpoints_through_the_outbox(city: Any) -> None:
    from huiying.common import outbox
    from huiying.common.checkpoints import read_checkpoints
    from huiying.common.models import AuditChainHead

    form = to_status(city, S.SIGNED)
    outbox.drain_all()
    found, problems, _ = read_checkpoints()
    assert problems == []
    assert [c.reason for c in found] == [
        f"assignment.issue assignment:{form.pk}",
        f"assignment.sign assignment:{form.pk}",
    ]
    # Drained after both steps: each checkpoint holds the chain as it was when drained.
    assert found[-1].seq == AuditChainHead.objects.get(pk=1).last_seq
