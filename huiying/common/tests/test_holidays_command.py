"""``huiying holidays``: staff load next year's State Council schedule from a file."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError

from huiying.common.audit import verify_chain
from huiying.common.models import AuditEvent, CalendarYear, Holiday
from huiying.common.workcalendar import get_calendar, invalidate_calendar

SH = dt.timezone(dt.timedelta(hours=8))

# The 2027 dates are made up for the test; the real notice is not out yet.
YAML_2027 = """\
year: 2027
source: 国办发明电〔2026〕99号
holidays:
  - name: 元旦
    dates: ["2027-01-01~2027-01-03"]
  - name: 国庆节
    dates: ["2027-10-01~2027-10-07"]
workdays:
  - name: 国庆节调休上班
    dates: [2027-09-26, 2027-10-09]
"""

CSV_2027 = """\
date,kind,name
2027-01-01~2027-01-03,放假,元旦
2027-10-01至2027-10-07,放假,国庆节
2027-09-26,上班,国庆节调休上班
2027-10-09,workday,国庆节调休上班
"""


@pytest.fixture(autouse=True)
def fresh_calendar(db: None) -> Iterator[None]:
    invalidate_calendar()
    yield
    invalidate_calendar()


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("holidays", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=SH)


@pytest.mark.parametrize(("name", "text"), [("2027.yaml", YAML_2027), ("2027.csv", CSV_2027)])
def test_import_changes_deadlines_and_clears_the_warning(
    tmp_path: Path, name: str, text: str
) -> None:
    start = at("2027-09-30T16:00")
    assert get_calendar().add_working_hours(start, 8) == at("2027-10-01T16:30")

    out = run("import", write(tmp_path, name, text))

    assert "已载入 2027 年：放假 10 天，调休上班 2 天" in out
    cal = get_calendar()
    assert cal.is_year_covered(2027)
    assert cal.add_working_hours(start, 8) == at("2027-10-08T16:30")
    assert cal.is_working_day(dt.date(2027, 9, 26))  # a Sunday
    assert Holiday.objects.get(date=dt.date(2027, 10, 3)).name == "国庆节"


def test_import_is_audited(tmp_path: Path) -> None:
    run("import", write(tmp_path, "2027.yaml", YAML_2027))
    event = AuditEvent.objects.get(action="calendar.import")
    assert event.object_id == "2027"
    assert "2027-10-01" in event.after["holidays"]
    assert verify_chain()[1] is None


def test_a_loaded_year_needs_replace(tmp_path: Path) -> None:
    path = write(tmp_path, "2027.yaml", YAML_2027)
    run("import", path)
    with pytest.raises(CommandError, match="--replace"):
        run("import", path)

    fewer = YAML_2027.replace('"2027-10-01~2027-10-07"', '"2027-10-01~2027-10-05"')
    run("import", write(tmp_path, "2027b.yaml", fewer), "--replace")
    assert not Holiday.objects.filter(date=dt.date(2027, 10, 7)).exists()
    assert get_calendar().is_working_day(dt.date(2027, 10, 7))


def test_dry_run_writes_nothing(tmp_path: Path) -> None:
    out = run("import", write(tmp_path, "2027.yaml", YAML_2027), "--dry-run")
    assert "2027-09-26 星期日 上班 国庆节调休上班" in out
    assert "检查通过，未写入" in out
    assert not CalendarYear.objects.filter(year=2027).exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("date,kind\n2027-10-04,上班\n2027-10-01,放假\n", "调休上班日应为周六或周日"),
        ("date,kind\n2027-10-01,放假\n2027-10-01,上班\n", "同时被列为放假和上班"),
        ("date,kind\n2027-13-01,放假\n", "日期格式错误"),
        ("date,kind\n2027-10-01,加班\n", "类型无法识别"),
        ("date,kind\n2027-10-09,上班\n", "没有放假日期"),
        ("date,kind\n", "没有任何日期"),
    ],
)
def test_bad_csv_is_refused(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(CommandError, match=message):
        run("import", write(tmp_path, "bad.csv", text))
    assert not CalendarYear.objects.filter(year=2027).exists()


def test_dates_outside_the_year_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "2027.yaml", YAML_2027.replace("2027-10-09", "2028-03-04"))
    with pytest.raises(CommandError, match="不属于 2027 年"):
        run("import", path)


def test_unsupported_and_missing_files(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="只支持"):
        run("import", write(tmp_path, "2027.txt", "2027-10-01"))
    with pytest.raises(CommandError, match="无法读取"):
        run("import", str(tmp_path / "none.yaml"))
    with pytest.raises(CommandError, match="YAML 格式错误"):
        run("import", write(tmp_path, "broken.yaml", "holidays: [\n"))


def test_status_lists_years_and_warns_about_next_year() -> None:
    with time_machine.travel("2026-11-20T10:00:00+08:00", tick=False):
        out = run("status")
    assert "2026 年：放假" in out
    assert "尚未载入2027年国务院节假日安排，按双休日计算，请在后台录入" in out
    assert "尚未载入2026年" not in out


def test_sync_restores_package_years() -> None:
    assert "已包含" in run("sync")
    CalendarYear.objects.filter(year=2025).delete()
    Holiday.objects.filter(date__year=2025).delete()
    assert not get_calendar().is_year_covered(2025)

    out = run("sync")

    assert "2025" in out
    assert get_calendar().is_year_covered(2025)
    assert not get_calendar().is_working_day(dt.date(2025, 10, 1))
