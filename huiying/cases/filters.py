"""The all-forms list's filters: keyword, status, unit, category, date range, overdue.

One Form reads them from the query string (GET, so a filtered list is a link that can be kept
and shared); ``filtered_forms`` applies them to what the person may see. The list page and its
Excel export both go through here, so the export holds exactly the rows the list shows.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huiying.accounts.roles import Principal
from huiying.cases import selectors
from huiying.cases.models import Assignment, Category, Status
from huiying.cases.permissions import CAC_ONLY_STATES, sees_drafts
from huiying.common.formfields import TextDateField
from huiying.orgs.fields import UnitChoiceField
from huiying.orgs.models import Unit

MAX_TERMS = 5  # words of a keyword search; each must match somewhere
KEYWORD_FIELDS = ("number", "title", "summary")  # and the unit's name, see _keyword_q


def _date_field(label: Any) -> forms.DateField:
    # Typed as text in a format the app controls (2026-03-01, 2026/3/1, 2026年3月1日): the
    # browser's own date picker shows mm/dd/yyyy in an English browser.
    return TextDateField(label=label, required=False)


class OverdueCheckbox(forms.CheckboxInput):
    """Checked only by 1/true/on: ``overdue=0`` in a hand-written link means off."""

    def value_from_datadict(self, data: Any, files: Any, name: str) -> bool:
        return str(data.get(name, "")).lower() in {"1", "true", "on"}


class FormListFilter(forms.Form):
    q = forms.CharField(
        label=_("关键词"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("编号、标题、摘要或单位")}
        ),
    )
    status = forms.ChoiceField(label=_("状态"), required=False)
    unit = UnitChoiceField(label=_("承办单位"), required=False, to_field_name="code")
    category = forms.ChoiceField(label=_("类别"), required=False)
    overdue = forms.BooleanField(
        label=_("只看超时未办"),
        required=False,
        widget=OverdueCheckbox(attrs={"value": "1"}),
    )

    def __init__(self, data: Any, *, principal: Principal) -> None:
        super().__init__(data)
        all_ = [("", _("全部"))]
        # 督查室 and 政府办 never see drafts or forms under review: they are not offered either.
        statuses = [
            (value, label)
            for value, label in Status.choices
            if sees_drafts(principal) or value not in CAC_ONLY_STATES
        ]
        self.fields["status"].choices = all_ + statuses  # type: ignore[attr-defined]
        self.fields["category"].choices = all_ + list(Category.choices)  # type: ignore[attr-defined]
        unit = self.fields["unit"]
        assert isinstance(unit, UnitChoiceField)
        # Only units this person may see are offered, and only those are accepted.
        unit.queryset = Unit.objects.filter(principal.units_q(), is_active=True)
        unit.empty_label = _("全部单位")
        # "from" is a Python keyword: these two are added by name, not declared above.
        self.fields["from"] = _date_field(_("交办日期（起）"))
        if sees_drafts(principal):  # those who see drafts are told which date a draft goes by
            self.fields["from"].help_text = _("未交办的草稿按拟制日期")
        self.fields["to"] = _date_field(_("交办日期（止）"))
        self.order_fields(["q", "status", "unit", "category", "from", "to", "overdue"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("from"), data.get("to")
        if start and end and start > end:
            self.add_error("to", _("结束日期不能早于开始日期。"))
        return data

    @property
    def active(self) -> bool:
        """Whether any filter is set (the page then offers 清除筛选)."""
        return any(self.data.get(name) not in (None, "") for name in self.fields)

    def usable(self) -> dict[str, Any]:
        """The filters that were understood. After an error (a mistyped date) the list still
        applies the rest, and the page says what was not understood."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return {k: v for k, v in getattr(self, "cleaned_data", {}).items() if k not in self.errors}


def _local_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _date_q(start: dt.date | None, end: dt.date | None) -> Q:
    """Issue date in [start, end], whole local days. A form not issued yet (a draft, seen by
    网信办 only) has no issue date: its drafting date stands in."""
    issued, drafted = Q(), Q(issued_at__isnull=True)
    if start is not None:
        issued &= Q(issued_at__gte=_local_midnight(start))
        drafted &= Q(created_at__gte=_local_midnight(start))
    if end is not None:
        after = _local_midnight(end + dt.timedelta(days=1))
        issued &= Q(issued_at__lt=after)
        drafted &= Q(created_at__lt=after)
    return issued | drafted


def _keyword_q(text: str) -> Q:
    """Each word must appear in the number, title, summary or unit name.

    Measured on PostgreSQL with 100,000 forms (bench/bench_forms_list.py): the units a word
    names are looked up first (130 rows) instead of joining the unit table into an OR, and a
    word without letters that have case (Chinese, digits) is matched with LIKE rather than
    UPPER() LIKE UPPER(); together 355 → 71 ms per scan of the table. A trigram index does not
    help: most Chinese search words are two characters, too short for a trigram.
    """
    q = Q()
    for term in text.split()[:MAX_TERMS]:
        lookup = "icontains" if term.lower() != term.upper() else "contains"
        units = Unit.objects.filter(
            Q(**{f"name__{lookup}": term}) | Q(**{f"short_name__{lookup}": term})
        ).values_list("pk", flat=True)
        anywhere = Q(unit_id__in=list(units))
        for name in KEYWORD_FIELDS:
            anywhere |= Q(**{f"{name}__{lookup}": term})
        q &= anywhere
    return q


def filtered_forms(
    principal: Principal, filters: dict[str, Any], *, now: dt.datetime | None = None
) -> QuerySet[Assignment]:
    """What ``principal`` may see, narrowed by the cleaned ``filters``, newest first."""
    qs = selectors.visible_forms(principal)
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("unit") is not None:
        qs = qs.filter(unit=filters["unit"])
    if filters.get("category"):
        qs = qs.filter(category=filters["category"])
    if filters.get("from") or filters.get("to"):
        qs = qs.filter(_date_q(filters.get("from"), filters.get("to")))
    if filters.get("overdue"):
        qs = qs.filter(selectors.overdue_q(now or timezone.now()))
    if filters.get("q"):
        qs = qs.filter(_keyword_q(filters["q"]))
    return qs.order_by("-created_at", "-pk")
