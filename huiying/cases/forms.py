"""Input forms of the pages. They only clean input; the services decide what is allowed."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huiying.cases import limits
from huiying.cases.models import (
    EMERGENCY_CATEGORIES,
    Assignment,
    Category,
    Feedback,
    ReplyChannel,
    Severity,
)
from huiying.cases.services import (
    ALLOWED_ATTACHMENT_TYPES,
    EDITABLE_FIELDS,
    MAX_ATTACHMENT_BYTES,
)
from huiying.common.formfields import HttpURLField, LocalDateTimeField
from huiying.orgs.fields import UnitChoiceField, UnitMultipleChoiceField
from huiying.orgs.models import Unit
from huiying.orgs.widgets import UnitPickerMultiple

ORDINARY_CHOICES = [(c.value, c.label) for c in Category if c not in EMERGENCY_CATEGORIES]
EMERGENCY_CHOICES = [(c.value, c.label) for c in Category if c in EMERGENCY_CATEGORIES]
GROUPED_CATEGORIES = [(_("常规交办"), ORDINARY_CHOICES), (_("紧急交办"), EMERGENCY_CHOICES)]
MAX_SOURCES = limits.MAX_SOURCES


def _active_units() -> Any:
    return Unit.objects.filter(is_active=True)


def unit_field(*, label: Any, required: bool = True, help_text: Any = "") -> UnitChoiceField:
    """Active units, grouped and searchable (huiying.orgs.fields, the unit picker)."""
    return UnitChoiceField(
        queryset=_active_units(),
        required=required,
        label=label,
        help_text=help_text,
        empty_label=_("请选择单位") if required else _("（不指定）"),
    )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Several screenshots/documents at once, checked against the services' own limits."""

    def __init__(self, **kwargs: Any) -> None:
        accept = ",".join(sorted(ALLOWED_ATTACHMENT_TYPES))
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": accept}))
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        items = data if isinstance(data, list | tuple) else [data]
        files = [super(AttachmentsField, self).clean(d, initial) for d in items if d]
        for f in files:
            name = f.name or ""
            suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
            if suffix not in ALLOWED_ATTACHMENT_TYPES:
                raise forms.ValidationError(
                    _("不支持的附件类型：%(name)s"), params={"name": name}, code="type"
                )
            if (f.size or 0) > MAX_ATTACHMENT_BYTES:
                raise forms.ValidationError(
                    _("附件不能超过 20 MB：%(name)s"), params={"name": name}, code="size"
                )
        return files


class CreateForm(forms.Form):
    lead_unit = unit_field(label=_("牵头（承办）单位"))
    co_units = UnitMultipleChoiceField(
        queryset=_active_units(),
        required=False,
        label=_("协办单位"),
        help_text=_("每个单位单独生成一份交办单，共用一个协同办理事项。"),
        widget=UnitPickerMultiple(attrs={"size": 8}),
    )
    title = forms.CharField(label=_("标题"), max_length=limits.TITLE)
    summary = forms.CharField(
        label=_("舆情摘要"), max_length=limits.TEXT, widget=forms.Textarea(attrs={"rows": 4})
    )
    category = forms.ChoiceField(label=_("类别"), choices=GROUPED_CATEGORIES)
    severity = forms.ChoiceField(label=_("等级"), choices=Severity.choices, initial=Severity.IV)
    reply_channel = forms.ChoiceField(label=_("答复形式"), choices=ReplyChannel.choices)
    cac_opinion = forms.CharField(
        label=_("网信办交办意见"),
        required=False,
        max_length=limits.TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    reply_deadline = LocalDateTimeField(
        label=_("答复时限"), required=False, help_text=_("留空则交办时按时限规则计算。")
    )
    feedback_deadline = LocalDateTimeField(
        label=_("反馈时限"), required=False, help_text=_("留空则交办时按时限规则计算。")
    )
    attachments = AttachmentsField(
        label=_("截图和附件"),
        required=False,
        help_text=_("可多选；图片、PDF、Office 文档或文本，每个不超过 20 MB。"),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        lead, co = data.get("lead_unit"), data.get("co_units") or []
        if lead is not None and any(u.pk == lead.pk for u in co):
            self.add_error("co_units", _("牵头单位不必再选为协办单位。"))
        if len(co) > limits.MAX_CO_UNITS:
            self.add_error("co_units", _("协办单位最多 %(n)d 个。") % {"n": limits.MAX_CO_UNITS})
        return data


class SourceItemForm(forms.Form):
    """One online post the form is about; its text is untrusted and only ever shown escaped."""

    platform = forms.CharField(
        label=_("平台"),
        max_length=limits.PLATFORM,
        widget=forms.TextInput(attrs={"placeholder": _("如：人民网地方领导留言板")}),
    )
    url = HttpURLField(label=_("链接"), required=False)
    title = forms.CharField(label=_("帖子标题"), required=False, max_length=limits.SOURCE_TITLE)
    text = forms.CharField(
        label=_("帖子内容"),
        required=False,
        max_length=limits.POST_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("platform") and not (data.get("url") or data.get("text")):
            raise forms.ValidationError(_("每条舆情信息至少要有链接或内容。"))
        return data


SourceFormSet = forms.formset_factory(
    SourceItemForm,
    extra=1,  # one spare row without JavaScript; the page's script adds more
    min_num=1,
    validate_min=True,
    max_num=MAX_SOURCES,
    validate_max=True,
)


def source_rows(formset: Any) -> list[dict[str, Any]]:
    """The filled-in rows of the formset, in the shape assignment_create takes."""
    return [f.cleaned_data for f in formset.forms if f.cleaned_data and f.has_changed()]


class PhoneAssignForm(forms.Form):
    unit = unit_field(label=_("承办单位"))
    title = forms.CharField(label=_("标题"), max_length=limits.TITLE)
    summary = forms.CharField(
        label=_("舆情摘要"), max_length=limits.TEXT, widget=forms.Textarea(attrs={"rows": 3})
    )
    category = forms.ChoiceField(label=_("紧急类别"), choices=EMERGENCY_CHOICES)
    severity = forms.ChoiceField(label=_("等级"), choices=Severity.choices, initial=Severity.II)
    called_at = LocalDateTimeField(label=_("通话时间"), initial=timezone.now)
    callee_name = forms.CharField(label=_("接听人"), max_length=limits.CALLEE_NAME)
    callee_phone = forms.CharField(
        label=_("接听电话"), max_length=limits.CALLEE_PHONE, required=False
    )
    content = forms.CharField(
        label=_("通话内容"), max_length=limits.TEXT, widget=forms.Textarea(attrs={"rows": 3})
    )
    reported_to_leaders = forms.CharField(
        label=_("已报告的市领导"), max_length=limits.LEADERS, required=False
    )


# --- the inputs of one step ----------------------------------------------------------------

CONTENT_ACTIONS = {"edit", "amend", "backfill"}


def _content_fields(fields: dict[str, forms.Field]) -> None:
    """The editable content of a form (services.EDITABLE_FIELDS), prefilled by the view."""
    fields["title"] = forms.CharField(label=_("标题"), max_length=limits.TITLE)
    fields["summary"] = forms.CharField(
        label=_("舆情摘要"), max_length=limits.TEXT, widget=forms.Textarea(attrs={"rows": 3})
    )
    fields["category"] = forms.ChoiceField(label=_("类别"), choices=GROUPED_CATEGORIES)
    fields["severity"] = forms.ChoiceField(label=_("等级"), choices=Severity.choices)
    fields["reply_channel"] = forms.ChoiceField(label=_("答复形式"), choices=ReplyChannel.choices)
    fields["cac_opinion"] = forms.CharField(
        label=_("网信办交办意见"),
        required=False,
        max_length=limits.TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    keep = _("留空则不修改。")
    fields["reply_deadline"] = LocalDateTimeField(
        label=_("答复时限"), required=False, help_text=keep
    )
    fields["feedback_deadline"] = LocalDateTimeField(
        label=_("反馈时限"), required=False, help_text=keep
    )
    assert set(fields) <= set(EDITABLE_FIELDS) | {"reason"}


class PlatformInput(forms.TextInput):
    """A text input with the form's source platforms offered in a <datalist>."""

    template_name = "cases/widgets/platform_input.html"

    def __init__(self, suggestions: list[str]) -> None:
        super().__init__(attrs={"list": "platform-suggestions", "autocomplete": "off"})
        self.suggestions = suggestions

    def get_context(self, name: str, value: Any, attrs: Any) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context["widget"]["suggestions"] = self.suggestions
        return context


def _uploads(label: Any) -> AttachmentsField:
    return AttachmentsField(
        label=label,
        required=False,
        help_text=_("可多选；图片、PDF、Office 文档或文本，每个不超过 20 MB。"),
    )


class UrlLinesField(forms.CharField):
    """Links, one a line: each an http(s) link, no more than a form holds."""

    def clean(self, value: Any) -> str:
        text = super().clean(value)
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        if len(lines) > limits.MAX_SOURCES:
            raise forms.ValidationError(
                _("最多 %(n)d 个链接。"), params={"n": limits.MAX_SOURCES}, code="max_lines"
            )
        link = HttpURLField()
        for line in lines:
            link.clean(line)
        return text


def _backfill_sources(fields: dict[str, forms.Field]) -> None:
    """The posts of a phoned-in matter, added when the form is filled in (R3.4)."""
    fields["source_platform"] = forms.CharField(
        label=_("舆情出现平台"), max_length=limits.PLATFORM, required=False
    )
    fields["source_url"] = HttpURLField(label=_("帖子链接"), required=False)
    fields["source_title"] = forms.CharField(
        label=_("帖子标题"), required=False, max_length=limits.SOURCE_TITLE
    )
    fields["source_text"] = forms.CharField(
        label=_("帖子内容"),
        required=False,
        max_length=limits.POST_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    fields["more_urls"] = UrlLinesField(
        label=_("其他相关链接"),
        required=False,
        help_text=_("每行一个，平台同上。"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    fields["uploads"] = _uploads(_("截图和附件"))


def action_form(
    action: str,
    *,
    reason_required: bool,
    data: Any = None,
    files: Any = None,
    current: Assignment | None = None,
    initial: dict[str, Any] | None = None,
    platforms: list[str] | None = None,
) -> forms.Form:
    """The fields one step needs, built from the action's name. No fields: a one-click step."""
    values = dict(initial or {})
    if action in CONTENT_ACTIONS and current is not None:
        values |= {name: getattr(current, name) for name in EDITABLE_FIELDS}
    f = forms.Form(data=data, files=files, initial=values)
    fields = f.fields
    if action == "respond":
        # Where the opinion appeared, first seen first; another platform may still be typed.
        suggestions = platforms or []
        fields["platform"] = forms.CharField(
            label=_("回应平台"),
            max_length=limits.PLATFORM,
            initial=suggestions[0] if suggestions else "",
            help_text=_("舆情出现在哪里，就在哪里回应。可从列表选择，也可直接填写。"),
            widget=PlatformInput(suggestions),
        )
        fields["url"] = HttpURLField(label=_("回应链接"), required=False)
        fields["text"] = forms.CharField(
            label=_("回应内容"), max_length=limits.TEXT, widget=forms.Textarea(attrs={"rows": 4})
        )
        fields["responded_at"] = LocalDateTimeField(
            label=_("回应时间"), required=False, help_text=_("留空为现在。")
        )
        fields["uploads"] = _uploads(_("回应截图和附件"))
    elif action == "file_feedback":
        fields["kind"] = forms.ChoiceField(label=_("反馈类型"), choices=Feedback.Kind.choices)
        fields["outcome"] = forms.ChoiceField(
            label=_("办理结果"), choices=Feedback.Outcome.choices, required=False
        )
        fields["text"] = forms.CharField(
            label=_("办理情况"),
            max_length=limits.TEXT,
            help_text=_("暂不具备办理条件的，请说明原因。"),
            widget=forms.Textarea(attrs={"rows": 5}),
        )
        fields["uploads"] = _uploads(_("附件（办理材料、文件）"))
    elif action == "request_extension":
        fields["until"] = LocalDateTimeField(label=_("申请延至"))
    elif action == "reassign":
        fields["unit"] = unit_field(label=_("改派给"))
        fields["cac_opinion"] = forms.CharField(
            label=_("给新承办单位的交办意见"),
            required=False,
            max_length=limits.TEXT,
            help_text=_("已按新承办单位改写，可修改；留空则自动改写原意见。"),
            widget=forms.Textarea(attrs={"rows": 3}),
        )
    elif action == "request_relief":
        fields["suggested_unit"] = unit_field(required=False, label=_("建议承办单位（可选）"))
    elif action == "decide_extension":
        fields["grant"] = forms.TypedChoiceField(
            label=_("审批结果"),
            choices=[("1", _("同意延期")), ("0", _("驳回"))],
            coerce=lambda v: v == "1",
            widget=forms.RadioSelect,
        )
    elif action in CONTENT_ACTIONS:
        _content_fields(fields)
        if action == "backfill":
            _backfill_sources(fields)
    if reason_required or action in {"accept", "decide_extension"}:
        fields["reason"] = forms.CharField(
            label=_("理由 / 意见"),
            required=reason_required,
            max_length=limits.TEXT,
            widget=forms.Textarea(attrs={"rows": 2}),
        )
    return f


@lru_cache(maxsize=64)  # lists ask this for every row's buttons; the answer never changes
def needs_input(action: str, *, reason_required: bool) -> bool:
    """Whether the step opens a small form, or is a single click (submit, issue, sign)."""
    return bool(action_form(action, reason_required=reason_required).fields)


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, dt.datetime) and isinstance(new, dt.datetime):
        # datetime-local carries minutes only: an untouched deadline must not count as a change.
        return old.replace(second=0, microsecond=0) == new.replace(second=0, microsecond=0)
    if isinstance(old, str) and isinstance(new, str):
        return old.strip() == new.strip()
    return bool(old == new)


def service_kwargs(
    action: str, cleaned: dict[str, Any], current: Assignment | None = None
) -> dict[str, Any]:
    """Map cleaned input onto the service's keyword arguments.

    Content steps pass only what really changed, so that an amendment moves the version (and
    marks an earlier signature as signed-before-change) only when the content did change.
    """
    kwargs = dict(cleaned)
    extra: dict[str, Any] = {}
    if action == "backfill":
        extra = _backfill_kwargs(kwargs)
    if "uploads" in kwargs:
        extra["uploads"] = kwargs.pop("uploads") or []
    if action in CONTENT_ACTIONS:
        kwargs = {
            k: v
            for k, v in kwargs.items()
            if k == "reason"
            or (v not in ("", None) and (current is None or not _same(getattr(current, k), v)))
        }
    if action == "respond" and not kwargs.get("responded_at"):
        kwargs.pop("responded_at", None)
    if action == "decide_extension":
        kwargs.setdefault("reason", "")
    if action == "reassign" and not (kwargs.get("cac_opinion") or "").strip():
        kwargs.pop("cac_opinion", None)
    return kwargs | extra


def _backfill_kwargs(cleaned: dict[str, Any]) -> dict[str, Any]:
    """Turn the back-fill step's post fields into the service's ``sources``."""
    platform = (cleaned.pop("source_platform", "") or "").strip() or str(_("其他"))
    url = (cleaned.pop("source_url", "") or "").strip()
    title = (cleaned.pop("source_title", "") or "").strip()
    text = (cleaned.pop("source_text", "") or "").strip()
    more = [line.strip() for line in (cleaned.pop("more_urls", "") or "").splitlines()]
    sources = []
    if url or text:
        sources.append({"platform": platform, "url": url, "title": title, "text": text})
    sources += [{"platform": platform, "url": line} for line in more if line]
    return {"sources": sources}
