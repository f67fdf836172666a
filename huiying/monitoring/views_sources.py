"""Source pages for 网信办 and monitors: health list, one source's runs, definitions as
YAML/JSON text, and manual entry of a post a monitor saw (link, text, screenshot)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

import yaml
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import TruncDate
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huiying.common.formfields import HttpURLField, LocalDateTimeField
from huiying.monitoring.access import may_manage
from huiying.monitoring.collectors.definition import POLLED_KINDS, DefinitionError
from huiying.monitoring.models import Item, Source, SourceRun
from huiying.monitoring.services_intake import MAX_SCREENSHOT_BYTES, manual_entry
from huiying.monitoring.services_sources import (
    definition_of,
    parse_definitions,
    source_save,
    source_update,
)
from huiying.monitoring.views_search import monitor_required

HEALTH_DAYS = 7
RUNS_SHOWN = 50
ITEMS_SHOWN = 20
DEFINITION_EXAMPLE = """code: nt-board
name: 南通市地方领导留言板
kind: html
platform: 人民网留言板
url: https://liuyan.example.cn/board/list
interval_seconds: 300
config:
  encoding: gbk
  list: {item: li.msg, link: a.title@href, next_page: a.next@href, max_pages: 3}
  detail: {title: h1.title, text: .content, published: .meta .time, status: .meta .state,
           reply: .reply-content, reply_time: .reply-time}
"""


def _days(today: dt.date) -> list[dt.date]:
    return [today - dt.timedelta(days=n) for n in range(HEALTH_DAYS - 1, -1, -1)]


def items_per_day(source_ids: list[int], today: dt.date) -> dict[int, list[int]]:
    """Items captured per local day over the last week, oldest first, for each source."""
    days = _days(today)
    start = timezone.make_aware(dt.datetime.combine(days[0], dt.time.min))
    rows = (
        Item.objects.filter(source_id__in=source_ids, captured_at__gte=start)
        .annotate(day=TruncDate("captured_at"))
        .values("source_id", "day")
        .annotate(n=Count("pk"))
    )
    counts: dict[int, dict[dt.date, int]] = defaultdict(dict)
    for row in rows:
        counts[row["source_id"]][row["day"]] = row["n"]
    return {sid: [counts[sid].get(d, 0) for d in days] for sid in source_ids}


def bars(days: list[dt.date], counts: list[int]) -> list[dict[str, Any]]:
    """The week's counts as bar heights in tenths of the busiest day (CSS classes, no inline
    styles): an empty day stays flat, a day with anything shows at least a sliver."""
    peak = max(counts, default=0) or 1
    return [
        {"day": day, "n": n, "level": max(1, round(10 * n / peak)) if n else 0}
        for day, n in zip(days, counts, strict=True)
    ]


# How the last run ended, when not plainly (SourceRun.outcome).
OUTCOME_LABELS = {
    "rate_limited": _("限流"),
    "gap": _("可能遗漏"),
    "partial": _("部分成功"),
}


def _status(source: Source, last_outcome: str = "") -> tuple[str, str]:
    if not source.is_active:
        return "off", str(_("停用"))
    if last_outcome == "rate_limited":
        return "warn", str(OUTCOME_LABELS["rate_limited"])  # not a refusal, not a failure
    if source.consecutive_failures:
        return "bad", str(_("异常"))
    if source.last_success_at is None and source.kind in POLLED_KINDS:
        return "new", str(_("尚未采集"))
    if last_outcome in OUTCOME_LABELS:
        return "warn", str(OUTCOME_LABELS[last_outcome])
    return "ok", str(_("正常"))


def last_outcomes(source_ids: list[int]) -> dict[int, str]:
    """Each source's last finished run's outcome ("" when plain)."""
    latest = (
        SourceRun.objects.filter(source_id=OuterRef("pk"), finished_at__isnull=False)
        .order_by("-started_at", "-pk")
        .values("outcome")[:1]
    )
    rows = Source.objects.filter(pk__in=source_ids).annotate(last=Subquery(latest))
    return {pk: last or "" for pk, last in rows.values_list("pk", "last")}


@monitor_required
def source_list(request: HttpRequest) -> HttpResponse:
    sources = list(Source.objects.select_related("owner_unit").order_by("code"))
    today = timezone.localdate()
    per_day = items_per_day([s.pk for s in sources], today)
    outcomes = last_outcomes([s.pk for s in sources])
    rows = []
    for source in sources:
        css, label = _status(source, outcomes.get(source.pk, ""))
        counts = per_day.get(source.pk, [0] * HEALTH_DAYS)
        rows.append(
            {
                "source": source,
                "status_css": css,
                "status": label,
                "per_day": counts,
                "peak": max(counts) or 1,
                "bars": bars(_days(today), counts),
            }
        )
    return render(
        request,
        "monitoring/source_list.html",
        {"rows": rows, "days": _days(today), "now": timezone.now()},
    )


@monitor_required
def source_detail(request: HttpRequest, pk: int) -> HttpResponse:
    source = get_object_or_404(Source.objects.select_related("owner_unit"), pk=pk)
    runs = list(SourceRun.objects.filter(source=source).order_by("-started_at", "-pk")[:RUNS_SHOWN])
    today = timezone.localdate()
    css, label = _status(source, last_outcomes([source.pk]).get(source.pk, ""))
    return render(
        request,
        "monitoring/source_detail.html",
        {
            "source": source,
            "may_edit": may_manage(request.user, source.owner_unit),
            "status_css": css,
            "status": label,
            "runs": runs,
            "items": Item.objects.filter(source=source).order_by("-captured_at", "-pk")[
                :ITEMS_SHOWN
            ],
            "per_day": list(
                zip(_days(today), items_per_day([source.pk], today)[source.pk], strict=True)
            ),
            "definition": yaml.safe_dump(
                definition_of(source), allow_unicode=True, sort_keys=False
            ),
            "push_url": request.build_absolute_uri(reverse("monitoring:push", args=[source.code]))
            if source.kind == Source.Kind.VENDOR_PUSH
            else "",
        },
    )


class DefinitionForm(forms.Form):
    definition = forms.CharField(
        label=_("监测源定义（YAML 或 JSON）"),
        widget=forms.Textarea(attrs={"rows": 22, "cols": 90, "spellcheck": "false"}),
        help_text=_("格式见 huiying/monitoring/SOURCES_FORMAT.md；可一次提交多个定义（列表）。"),
    )


def _definition_errors(form: DefinitionForm, exc: DefinitionError, label: str = "") -> None:
    for key, problems in exc.message_dict.items():
        where = f"{label}{key}" if key != "__all__" else label.rstrip("：") or ""
        for problem in problems:
            form.add_error("definition", f"{where}：{problem}" if where else problem)


@monitor_required
def source_create(request: HttpRequest) -> HttpResponse:
    form = DefinitionForm(request.POST or None, initial={"definition": DEFINITION_EXAMPLE})
    if request.method == "POST" and form.is_valid():
        try:
            definitions = parse_definitions(form.cleaned_data["definition"])
            with transaction.atomic():  # several definitions: all or none
                saved = [source_save(d, actor=request.user, mode="create") for d in definitions]
        except DefinitionError as exc:
            _definition_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error("definition", str(exc))
        else:
            for result in saved:
                messages.success(
                    request, _("已新增监测源：%(name)s") % {"name": result.source.name}
                )
                if result.new_secret:
                    messages.warning(
                        request,
                        _("%(code)s 的推送密钥（只显示这一次，请交给厂商）：%(secret)s")
                        % {"code": result.source.code, "secret": result.new_secret},
                    )
            if len(saved) == 1:
                return redirect("monitoring:source_detail", pk=saved[0].source.pk)
            return redirect("monitoring:source_list")
    return render(request, "monitoring/source_form.html", {"form": form, "source": None})


@monitor_required
def source_edit(request: HttpRequest, pk: int) -> HttpResponse:
    source = get_object_or_404(Source.objects.select_related("owner_unit"), pk=pk)
    if not may_manage(request.user, source.owner_unit):
        # Not a button that can only fail: the page says whose source it is instead.
        owner = source.owner_unit.display_name if source.owner_unit else _("网信办（全市）")
        message = _("监测源“%(name)s”属于%(owner)s，您不能修改。") % {
            "name": source.name,
            "owner": owner,
        }
        return render(request, "monitoring/forbidden.html", {"message": message}, status=403)
    initial = yaml.safe_dump(definition_of(source), allow_unicode=True, sort_keys=False)
    form = DefinitionForm(request.POST or None, initial={"definition": initial})
    if request.method == "POST" and form.is_valid():
        try:
            definitions = parse_definitions(form.cleaned_data["definition"])
            if len(definitions) != 1:
                raise DefinitionError({"__all__": [str(_("编辑时只能提交一个定义"))]})
            saved = source_update(source, definitions[0], actor=request.user)
        except DefinitionError as exc:
            _definition_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error("definition", str(exc))
        else:
            if saved.changed:
                messages.success(request, _("已保存监测源：%(name)s") % {"name": saved.source.name})
            return redirect("monitoring:source_detail", pk=source.pk)
    return render(request, "monitoring/source_form.html", {"form": form, "source": source})


class ManualEntryForm(forms.Form):
    url = HttpURLField(label=_("原始链接"), required=False)
    platform = forms.CharField(
        label=_("平台"),
        max_length=50,
        required=False,
        help_text=_("例如 微博、微信公众号、抖音、论坛"),
    )
    title = forms.CharField(label=_("标题"), max_length=500, required=False)
    text = forms.CharField(
        label=_("正文"), widget=forms.Textarea(attrs={"rows": 8}), required=False
    )
    author = forms.CharField(label=_("作者"), max_length=200, required=False)
    published_at = LocalDateTimeField(label=_("发布时间"), required=False)
    screenshot = forms.FileField(
        label=_("截图"),
        required=False,
        help_text=_("PNG / JPEG / GIF / WebP，不超过 5 MB，作为取证快照保存"),
    )

    def clean_screenshot(self) -> Any:
        upload = self.cleaned_data.get("screenshot")
        if upload is not None and upload.size > MAX_SCREENSHOT_BYTES:
            raise ValidationError(_("截图不超过 5 MB"))
        return upload


@monitor_required
def manual_entry_view(request: HttpRequest) -> HttpResponse:
    form = ManualEntryForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        upload = data.get("screenshot")
        try:
            stored = manual_entry(
                actor=request.user,
                url=data["url"] or "",
                title=data["title"] or "",
                text=data["text"] or "",
                platform=data["platform"] or "",
                author=data["author"] or "",
                published_at=data["published_at"],
                screenshot=upload.read() if upload is not None else b"",
            )
        except ValidationError as exc:
            for name, problems in exc.message_dict.items():
                form.add_error(name if name in form.fields else None, problems)
        else:
            if stored.duplicates:
                messages.info(request, _("已录入；这条信息与已有信息重复，已归入原帖之下。"))
            else:
                messages.success(request, _("已录入。"))
            if stored.item_ids:
                return redirect("monitoring:item_detail", pk=stored.item_ids[0])
            return redirect("monitoring:manual_entry")
    return render(request, "monitoring/manual_entry.html", {"form": form})
