"""``huiying holidays``: load a year's State Council holiday schedule and show what is loaded.

The State Council publishes next year's schedule each autumn (《国务院办公厅关于XXXX年部分节假日
安排的通知》). Staff type its dates into a small YAML or CSV file and load it here, or enter the
rows in the admin. Formats (dates may be ranges ``2027-02-06~2027-02-14``):

YAML::

    year: 2027
    source: 国办发明电〔2026〕7号
    holidays:
      - {name: 元旦, dates: ["2027-01-01~2027-01-03"]}
    workdays:
      - {name: 春节调休上班, dates: [2027-02-07]}

CSV (header optional)::

    date,kind,name
    2027-01-01~2027-01-03,放假,元旦
    2027-02-07,上班,春节调休上班
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from argparse import ArgumentParser
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from huiying.common.audit import record_event
from huiying.common.management.commands._database import require_database
from huiying.common.models import CalendarYear, Holiday
from huiying.common.workcalendar import HOLIDAY, WORKDAY, invalidate_calendar, package_schedule

KIND_WORDS = {
    "holiday": HOLIDAY,
    "放假": HOLIDAY,
    "休": HOLIDAY,
    "休息": HOLIDAY,
    "节假日": HOLIDAY,
    "workday": WORKDAY,
    "上班": WORKDAY,
    "班": WORKDAY,
    "调休上班": WORKDAY,
    "调休": WORKDAY,
}
RANGE_SEPARATORS = ("~", "～", "至", "..")
DEFAULT_SOURCE = "人工录入（国务院办公厅节假日安排通知）"
PACKAGE_SOURCE = "chinese-calendar"


@dataclass
class Schedule:
    year: int
    days: dict[dt.date, tuple[str, str]] = field(default_factory=dict)
    source: str = ""
    note: str = ""

    def count(self, kind: str) -> int:
        return sum(1 for row_kind, _ in self.days.values() if row_kind == kind)


# -- reading the file ---------------------------------------------------------------------


def _parse_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip().replace("/", "-").replace(".", "-")
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"日期格式错误：{value!r}（应如 2027-01-01）") from None


def expand_dates(value: Any) -> list[dt.date]:
    """One date, or an inclusive range written ``2027-01-01~2027-01-03``."""
    if isinstance(value, dt.date):
        return [_parse_date(value)]
    text = str(value).strip()
    for separator in RANGE_SEPARATORS:
        if separator in text:
            first_text, last_text = text.split(separator, 1)
            first, last = _parse_date(first_text), _parse_date(last_text)
            if last < first or (last - first).days > 31:
                raise CommandError(f"日期区间无效：{text!r}")
            return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
    return [_parse_date(text)]


def _kind(value: Any) -> str:
    kind = KIND_WORDS.get(str(value).strip().lower())
    if kind is None:
        raise CommandError(f"类型无法识别：{value!r}（应为 放假/holiday 或 上班/workday）")
    return kind


def _add(days: dict[dt.date, tuple[str, str]], when: Any, kind: str, name: str) -> None:
    for day in expand_dates(when):
        previous = days.get(day)
        if previous is not None and previous[0] != kind:
            raise CommandError(f"{day} 同时被列为放假和上班")
        days[day] = (kind, name)


def _rows_from_yaml(text: str) -> tuple[dict[str, Any], dict[dt.date, tuple[str, str]]]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise CommandError(f"YAML 格式错误：{exc}") from None
    if not isinstance(data, dict):
        raise CommandError("YAML 文件应为一个映射，包含 year、holidays、workdays 等键")
    days: dict[dt.date, tuple[str, str]] = {}
    for key, kind in (("holidays", HOLIDAY), ("workdays", WORKDAY)):
        for entry in data.get(key) or []:
            if not isinstance(entry, dict):
                raise CommandError(f"{key} 下的每一项应包含 name 与 dates：{entry!r}")
            when = entry.get("dates", entry.get("date"))
            name = str(entry.get("name") or "")
            for value in when if isinstance(when, list) else [when]:
                _add(days, value, kind, name)
    for entry in data.get("days") or []:
        if not isinstance(entry, dict):
            raise CommandError(f"days 下的每一项应包含 date 与 kind：{entry!r}")
        _add(days, entry.get("date"), _kind(entry.get("kind")), str(entry.get("name") or ""))
    return data, days


def _rows_from_csv(text: str) -> dict[dt.date, tuple[str, str]]:
    days: dict[dt.date, tuple[str, str]] = {}
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        cells = [cell.strip() for cell in row]
        if not any(cells) or cells[0].startswith("#"):
            continue
        if number == 1 and cells[0].lower() in ("date", "日期"):
            continue
        if len(cells) < 2:
            raise CommandError(f"第 {number} 行应至少包含 日期,类型：{row!r}")
        _add(days, cells[0], _kind(cells[1]), cells[2] if len(cells) > 2 else "")
    return days


def read_schedule(path: Path, *, year: int | None = None, source: str | None = None) -> Schedule:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise CommandError(f"无法读取文件 {path}：{exc.strerror}") from None
    except UnicodeDecodeError:
        raise CommandError(f"文件 {path} 不是 UTF-8 编码") from None
    meta: dict[str, Any] = {}
    if path.suffix.lower() == ".csv":
        days = _rows_from_csv(text)
    elif path.suffix.lower() in (".yaml", ".yml"):
        meta, days = _rows_from_yaml(text)
    else:
        raise CommandError("只支持 .yaml/.yml 或 .csv 文件")
    if not days:
        raise CommandError("文件中没有任何日期")
    schedule_year = year or _year_of(meta.get("year"), days)
    schedule = Schedule(
        year=schedule_year,
        days=days,
        source=source or str(meta.get("source") or DEFAULT_SOURCE),
        note=str(meta.get("note") or ""),
    )
    validate(schedule)
    return schedule


def _year_of(value: Any, days: dict[dt.date, tuple[str, str]]) -> int:
    if value is not None:
        try:
            return int(value)
        except (TypeError, ValueError):
            raise CommandError(f"year 应为年份数字：{value!r}") from None
    # New Year's Day of a year can start on 31 December of the one before.
    return Counter(day.year for day in days).most_common(1)[0][0]


def validate(schedule: Schedule) -> None:
    # A notice for year Y may reach into late December of Y-1 and January of Y+1.
    earliest, latest = dt.date(schedule.year - 1, 12, 1), dt.date(schedule.year + 1, 1, 31)
    for day, (kind, _) in sorted(schedule.days.items()):
        if not earliest <= day <= latest:
            raise CommandError(f"{day} 不属于 {schedule.year} 年的节假日安排")
        if kind == WORKDAY and day.weekday() < 5:
            raise CommandError(f"{day} 是工作日（周一至周五），调休上班日应为周六或周日")
    if schedule.count(HOLIDAY) == 0:
        raise CommandError("文件中没有放假日期")


# -- writing ------------------------------------------------------------------------------


def store(schedule: Schedule, *, replace: bool) -> None:
    existing = CalendarYear.objects.filter(year=schedule.year).first()
    if existing is not None and not replace:
        raise CommandError(
            f"{schedule.year} 年已载入（来源：{existing.source}），如需覆盖请加 --replace"
        )
    with transaction.atomic():
        removed = 0
        if replace:
            stale = Holiday.objects.filter(date__year=schedule.year).exclude(
                date__in=list(schedule.days)
            )
            if CalendarYear.objects.filter(year=schedule.year + 1).exists():
                # Late December days off may be next year's New Year holiday, from its notice.
                stale = stale.exclude(date__gte=dt.date(schedule.year, 12, 25))
            # Deleted one by one so that the calendar cache hears of it (post_delete).
            for row in stale:
                row.delete()
                removed += 1
        for day, (kind, name) in sorted(schedule.days.items()):
            Holiday.objects.update_or_create(date=day, defaults={"kind": kind, "name": name})
        CalendarYear.objects.update_or_create(
            year=schedule.year, defaults={"source": schedule.source, "note": schedule.note}
        )
        record_event(
            actor=None,
            action="calendar.import",
            object_type="common.calendaryear",
            object_id=schedule.year,
            after={
                "holidays": sorted(str(d) for d, (k, _) in schedule.days.items() if k == HOLIDAY),
                "workdays": sorted(str(d) for d, (k, _) in schedule.days.items() if k == WORKDAY),
            },
            meta={"source": schedule.source, "replaced_rows": removed, "via": "cli"},
        )
    invalidate_calendar()


def sync_from_package() -> list[int]:
    """Load the years the installed package knows and the database does not; keep staff rows."""
    schedule, years = package_schedule()
    missing = sorted(years - set(CalendarYear.objects.values_list("year", flat=True)))
    if not missing:
        return []
    with transaction.atomic():
        taken = set(Holiday.objects.values_list("date", flat=True))
        Holiday.objects.bulk_create(
            [
                Holiday(date=day, kind=kind, name=name)
                for day, (kind, name) in sorted(schedule.items())
                if day.year in missing and day not in taken
            ]
        )
        CalendarYear.objects.bulk_create(
            [
                CalendarYear(year=year, source=PACKAGE_SOURCE, note="从 chinesecalendar 同步")
                for year in missing
            ]
        )
        record_event(
            actor=None,
            action="calendar.sync",
            object_type="common.calendaryear",
            object_id=f"{missing[0]}-{missing[-1]}",
            meta={"source": PACKAGE_SOURCE, "years": missing, "via": "cli"},
        )
    # bulk_create sends no signals.
    invalidate_calendar()
    return missing


class Command(BaseCommand):
    help = "节假日安排：status 查看已载入年度；import 从 YAML/CSV 载入一年；sync 从 chinesecalendar 补齐"

    def add_arguments(self, parser: ArgumentParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", metavar="子命令", required=True)
        subcommands.add_parser("status", help="列出已载入的年度，并提示缺少的年度")
        importer = subcommands.add_parser("import", help="从 YAML 或 CSV 文件载入一年的安排")
        importer.add_argument("file", help="YAML（.yaml/.yml）或 CSV（.csv）文件")
        importer.add_argument("--year", type=int, help="年份（默认取文件中的 year 或日期所在年）")
        importer.add_argument("--source", help="来源，如通知文号")
        importer.add_argument("--replace", action="store_true", help="覆盖已载入的同一年度")
        importer.add_argument("--dry-run", action="store_true", help="只检查并显示，不写入")
        subcommands.add_parser("sync", help="从已安装的 chinesecalendar 补齐数据库中没有的年度")

    def handle(self, *args: Any, **options: Any) -> None:
        require_database()
        subcommand = options["subcommand"]
        if subcommand == "status":
            self.status()
        elif subcommand == "import":
            self.import_file(options)
        elif subcommand == "sync":
            self.sync()

    def status(self) -> None:
        years = list(CalendarYear.objects.order_by("year"))
        if not years:
            self.stdout.write("尚未载入任何年度的节假日安排")
        for row in years:
            holidays = Holiday.objects.filter(date__year=row.year)
            rest = holidays.filter(kind=HOLIDAY).count()
            work = holidays.filter(kind=WORKDAY).count()
            note = f"，{row.note}" if row.note else ""
            self.stdout.write(
                f"{row.year} 年：放假 {rest} 天，调休上班 {work} 天（来源：{row.source}{note}）"
            )
        loaded = {row.year for row in years}
        this_year = timezone.localdate().year
        for year in (this_year, this_year + 1):
            if year not in loaded:
                self.stdout.write(
                    self.style.WARNING(
                        f"尚未载入{year}年国务院节假日安排，按双休日计算，请在后台录入"
                    )
                )
        _, package_years = package_schedule()
        if package_years - loaded:
            extra = "、".join(str(year) for year in sorted(package_years - loaded))
            self.stdout.write(
                f"chinesecalendar 另知 {extra} 年的安排，可运行 huiying holidays sync 载入"
            )

    def import_file(self, options: dict[str, Any]) -> None:
        schedule = read_schedule(
            Path(options["file"]), year=options.get("year"), source=options.get("source")
        )
        summary = (
            f"{schedule.year} 年：放假 {schedule.count(HOLIDAY)} 天，"
            f"调休上班 {schedule.count(WORKDAY)} 天（来源：{schedule.source}）"
        )
        if options.get("dry_run"):
            for day, (kind, name) in sorted(schedule.days.items()):
                label = "放假" if kind == HOLIDAY else "上班"
                self.stdout.write(f"{day} 星期{'一二三四五六日'[day.weekday()]} {label} {name}")
            self.stdout.write(f"检查通过，未写入：{summary}")
            return
        store(schedule, replace=bool(options.get("replace")))
        self.stdout.write(self.style.SUCCESS(f"已载入 {summary}"))

    def sync(self) -> None:
        added = sync_from_package()
        if not added:
            self.stdout.write("数据库已包含 chinesecalendar 所知的全部年度")
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"已从 chinesecalendar 载入 {len(added)} 个年度：{added[0]}–{added[-1]}"
            )
        )
