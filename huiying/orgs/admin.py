"""Back office for the unit directory.

Saves go through the services, so that no edit can leave a wrong materialised path (which
scoping relies on), a cycle in the tree, or a change missing from the audit log.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms import BaseInlineFormSet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from huiying.common.errors import DomainError
from huiying.orgs.models import DutyShift, Membership, Place, Unit
from huiying.orgs.selectors import INDENT, path_ordering
from huiying.orgs.services import (
    UNIT_FIELDS,
    duty_shift_problems,
    duty_shift_remove,
    duty_shift_save,
    membership_save,
    unit_insert,
    unit_save_changes,
    unit_update,
)

SEPARATORS = re.compile(r"[\n,，、;；]+")


class TextListField(forms.CharField):
    """A list of short texts typed one per line (or separated by 、 or commas)."""

    widget = forms.Textarea(attrs={"rows": 3, "cols": 60})

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return "\n".join(str(v) for v in value)
        return value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        if isinstance(value, list):
            return [str(v).strip() for v in value if str(v).strip()]
        text = str(value or "").strip()
        if text.startswith("["):
            # What the JSON widget showed before: keep accepting it.
            try:
                loaded = json.loads(text)
            except ValueError as exc:
                raise forms.ValidationError(_("格式有误：每行填写一项即可。")) from exc
            if isinstance(loaded, list):
                return [str(v).strip() for v in loaded if str(v).strip()]
        return [part.strip() for part in SEPARATORS.split(text) if part.strip()]


class UnitChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """Units indented by depth, so the select reads as the tree."""

    def label_from_instance(self, obj: Any) -> str:
        return INDENT * obj.depth + obj.name


class UnitForm(forms.ModelForm):  # type: ignore[type-arg]
    functions = TextListField(
        label=_("职能领域"), required=False, help_text=_("每行一个话题关键词，如：物业、加装电梯")
    )
    places = TextListField(
        label=_("辖区地名"), required=False, help_text=_("每行一个街道、镇、园区或地标名称")
    )

    class Meta:
        model = Unit
        fields = UNIT_FIELDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = Unit.objects.filter(is_active=True)
        if self.instance.pk:
            # Not itself, not below itself: either would make a cycle.
            choices = choices.exclude(path__startswith=self.instance.path)
        self.fields["parent"] = UnitChoiceField(
            queryset=choices.order_by(path_ordering()),
            required=False,
            label=_("上级单位"),
            help_text=_("根单位（市政府）留空。移动单位时，其下级单位随之移动。"),
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        unit = self.instance
        if unit.pk and data.get("is_active") is False and unit.is_active:
            active_children = unit.children.filter(is_active=True)
            if active_children.exists():
                names = "、".join(c.name for c in active_children[:5])
                raise forms.ValidationError(
                    _("该单位下仍有启用的单位（%(names)s），请先停用或移走。"),
                    params={"names": names},
                )
        return data


class AuditedMembershipFormSet(BaseInlineFormSet):  # type: ignore[type-arg]
    """Inline role rows are saved one by one through the service, so each is audited."""

    actor: Any = None

    def save_new(self, form: forms.ModelForm, commit: bool = True) -> Membership:  # type: ignore[type-arg]
        membership: Membership = super().save_new(form, commit=False)
        return membership_save(membership=membership, actor=self.actor)

    def save_existing(
        self,
        form: forms.ModelForm,  # type: ignore[type-arg]
        obj: Membership,
        commit: bool = True,
    ) -> Membership:
        membership: Membership = super().save_existing(form, obj, commit=False)
        return membership_save(membership=membership, actor=self.actor)


class MembershipInlineBase(admin.TabularInline):  # type: ignore[type-arg]
    """Roles are ended by unticking 有效, never deleted: the history names the person."""

    model = Membership
    formset = AuditedMembershipFormSet
    extra = 0
    can_delete = False

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        formset = super().get_formset(request, obj, **kwargs)
        # A fresh class per request: the actor does not leak between requests.
        setattr(formset, "actor", request.user)  # noqa: B010
        return formset


class MembershipInline(MembershipInlineBase):
    fields = ("user", "role", "is_active")
    autocomplete_fields = ("user",)


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = UnitForm
    list_display = ("indented_name", "code", "short_name", "kind", "office", "is_active")
    list_display_links = ("indented_name",)
    list_filter = ("kind", "office", "is_active")
    search_fields = ("name", "short_name", "code")
    list_per_page = 200
    inlines = (MembershipInline,)
    readonly_fields = ("path", "depth")
    actions = ("deactivate_selected",)
    fieldsets = (
        (None, {"fields": ("code", "name", "short_name", "kind", "office", "parent")}),
        (_("职能与辖区"), {"fields": ("functions", "places", "phone")}),
        (_("状态"), {"fields": ("sort_order", "is_active", "path", "depth")}),
    )

    def get_ordering(self, request: HttpRequest) -> list[Any]:
        return [path_ordering()]

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Unit], search_term: str
    ) -> tuple[QuerySet[Unit], bool]:
        """Also find units by a topic or place ("物业", "和平桥").

        Matched in Python: SQLite stores the JSON lists with escaped non-ASCII text, so a
        database text search would miss Chinese words; the directory is small.
        """
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        if term:
            rows = Unit.objects.values_list("pk", "functions", "places")
            hits = [pk for pk, fns, places in rows if any(term in w for w in [*fns, *places])]
            found = found | queryset.filter(pk__in=hits)
        return found, may_have_duplicates

    def get_readonly_fields(self, request: HttpRequest, obj: Unit | None = None) -> Any:
        # The code is the key of the directory file: changing it would make the next import
        # create a second unit. It is set once, when the unit is created.
        readonly = tuple(super().get_readonly_fields(request, obj))
        return (*readonly, "code") if obj is not None else readonly

    @admin.display(description=_("单位名称"))
    def indented_name(self, obj: Unit) -> SafeString:
        return format_html("{}{}", INDENT * obj.depth, obj.name)

    def save_model(self, request: HttpRequest, obj: Unit, form: Any, change: bool) -> None:
        if change:
            unit_save_changes(unit=obj, fields=form.changed_data, actor=request.user)
        else:
            unit_insert(unit=obj, actor=request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Unit | None = None) -> bool:
        # Units are deactivated, never deleted: forms and the audit trail point at them.
        return False

    @admin.action(description=_("停用所选单位"))
    def deactivate_selected(self, request: HttpRequest, queryset: QuerySet[Unit]) -> None:
        done = 0
        # Deepest first, so a parent is only stopped once its selected children are.
        for unit in queryset.filter(is_active=True).order_by("-depth"):
            try:
                unit_update(unit=unit, is_active=False, actor=request.user)
                done += 1
            except DomainError as exc:
                self.message_user(request, exc.message, level=messages.ERROR)
        if done:
            self.message_user(request, _("已停用 %(n)d 个单位。") % {"n": done})


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("user", "unit", "role", "is_active")
    list_filter = ("role", "is_active", "unit__kind")
    search_fields = ("user__username", "user__full_name", "unit__name", "unit__code")
    autocomplete_fields = ("user", "unit")
    list_select_related = ("user", "unit")

    def save_model(self, request: HttpRequest, obj: Membership, form: Any, change: bool) -> None:
        membership_save(membership=obj, actor=request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Membership | None = None) -> bool:
        return False


@admin.register(Place)
class PlaceAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """The gazetteer, read-only here: it is data, loaded with ``huiying directory import``."""

    list_display = ("name", "kind", "unit", "alias_list")
    list_filter = ("kind",)
    search_fields = ("name", "unit__name")
    list_select_related = ("unit",)

    @admin.display(description=_("别名"))
    def alias_list(self, obj: Place) -> str:
        return "、".join(obj.aliases)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class DutyShiftForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = DutyShift
        fields = ("user", "unit", "role", "starts_at", "ends_at", "note")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors:
            # The service's own rules, shown on the form instead of failing on save.
            shift = self.instance
            for name in self.Meta.fields:
                setattr(shift, name, data.get(name))
            problems = duty_shift_problems(shift)
            if problems:
                raise forms.ValidationError(problems)
        return data


@admin.register(DutyShift)
class DutyShiftAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """The duty roster (值班表); the same rows as the roster page of the triage desk."""

    form = DutyShiftForm
    list_display = ("starts_at", "ends_at", "role", "user", "unit", "note")
    list_filter = ("role", "unit")
    search_fields = ("user__username", "user__full_name", "note")
    autocomplete_fields = ("user", "unit")
    list_select_related = ("user", "unit")
    date_hierarchy = "starts_at"
    actions = ["remove_selected"]

    def save_model(self, request: HttpRequest, obj: DutyShift, form: Any, change: bool) -> None:
        duty_shift_save(shift=obj, actor=request.user)

    def delete_model(self, request: HttpRequest, obj: DutyShift) -> None:
        duty_shift_remove(shift=obj, actor=request.user)

    def get_actions(self, request: HttpRequest) -> Any:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # deletes without the audit log: ours instead
        return actions

    @admin.action(description=_("删除所选班次"), permissions=["delete"])
    def remove_selected(self, request: HttpRequest, queryset: QuerySet[DutyShift]) -> None:
        n = 0
        for shift in queryset:
            duty_shift_remove(shift=shift, actor=request.user)
            n += 1
        self.message_user(request, _("已删除 %(n)d 个班次。") % {"n": n})
