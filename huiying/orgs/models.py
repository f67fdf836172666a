"""The unit directory: a tree of government units and the people in their roles."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from huiying.common.choices import ChoiceLabelsMixin


class Unit(ChoiceLabelsMixin, models.Model):
    class Kind(models.TextChoices):
        CITY = "city", _("市政府")
        CITY_DEPARTMENT = "city_department", _("市级部门（委办局）")
        DISTRICT = "district", _("县（市）区")
        ZONE = "zone", _("功能区（开发区、园区）")
        DISTRICT_DEPARTMENT = "district_department", _("县（市）区部门")
        TOWN = "town", _("镇（街道）")
        OTHER = "other", _("其他单位")

    class Office(models.TextChoices):
        """Units with a special part in the process (R1.5, R6, R8.1)."""

        NONE = "", _("—")
        CAC = "cac", _("网信办")
        GOVERNMENT_OFFICE = "government_office", _("政府办公室")
        INSPECTION = "inspection", _("督查室")
        DISCIPLINE = "discipline", _("监察机关")

    code = models.SlugField(_("单位代码"), max_length=64, unique=True)
    name = models.CharField(_("单位名称"), max_length=100)
    short_name = models.CharField(_("简称"), max_length=50, blank=True)
    kind = models.CharField(_("类型"), max_length=24, choices=Kind.choices)
    office = models.CharField(
        _("特殊职能"), max_length=24, choices=Office.choices, blank=True, default=""
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    # Materialised path ("/3/17/") so that a subtree is one indexed prefix query.
    path = models.CharField(
        _("层级路径"), max_length=255, db_index=True, editable=False, default=""
    )
    depth = models.PositiveSmallIntegerField(_("层级"), default=0, editable=False)
    functions = models.JSONField(
        _("职能领域"), default=list, blank=True, help_text=_("主管的职能、话题关键词")
    )
    places = models.JSONField(
        _("辖区地名"), default=list, blank=True, help_text=_("属地管理的地名、街道、园区")
    )
    phone = models.CharField(_("值班电话"), max_length=40, blank=True)
    sort_order = models.PositiveIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("单位")
        verbose_name_plural = _("单位")
        ordering: ClassVar[list[str]] = ["path"]

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        return self.short_name or self.name


class Membership(ChoiceLabelsMixin, models.Model):
    """A person's role in one unit (R8.3): main leader, deputy leader/spokesperson, handler, monitor."""

    class Role(models.TextChoices):
        LEADER = "leader", _("主要领导")
        SPOKESPERSON = "spokesperson", _("分管领导（网络发言人）")
        HANDLER = "handler", _("承办人员")
        MONITOR = "monitor", _("监测员")
        REVIEWER = "reviewer", _("审核人")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("人员"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("单位"), on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(_("角色"), max_length=16, choices=Role.choices)
    is_active = models.BooleanField(_("有效"), default=True)

    class Meta:
        verbose_name = _("人员角色")
        verbose_name_plural = _("人员角色")
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["user", "unit", "role"], name="uniq_membership"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.unit} · {self.get_role_display()}"


class Place(ChoiceLabelsMixin, models.Model):
    """A gazetteer entry: a place name and the unit whose territory it lies in (R1.2, R12).

    Loaded from a YAML file beside the directory (huiying/orgs/data/nantong_places.yaml) by
    ``huiying directory import``; routing reads it with the units' own ``places``.
    """

    class Kind(models.TextChoices):
        DISTRICT = "district", _("县（市）区")
        ZONE = "zone", _("功能区")
        TOWN = "town", _("镇")
        STREET = "street", _("街道")
        COMMUNITY = "community", _("社区、村")
        ROAD = "road", _("道路、桥梁")
        SITE = "site", _("地标、场所")
        OTHER = "other", _("其他")

    name = models.CharField(_("地名"), max_length=100)
    aliases = models.JSONField(_("别名"), default=list, blank=True)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices, default=Kind.OTHER)
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("所属单位"),
        on_delete=models.CASCADE,
        related_name="gazetteer",
        help_text=_("地名所在辖区的单位（县区、功能区、镇街或市政府）"),
    )

    class Meta:
        verbose_name = _("地名")
        verbose_name_plural = _("地名库")
        ordering: ClassVar[list[str]] = ["unit__path", "name"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["name", "unit"], name="uniq_place_name_unit"),
        ]

    def __str__(self) -> str:
        return self.name


class DutyShift(ChoiceLabelsMixin, models.Model):
    """One person on duty for a unit in one role over a time span (the 值班表).

    An emergency alert (issue 10, R3.4) goes to whoever is on duty at that moment; when nobody
    is rostered for a role the alert falls back to everyone holding that role in the unit.
    The span is half-open: ``starts_at <= t < ends_at``, so back-to-back shifts never overlap.
    """

    class Role(models.TextChoices):
        MONITOR = "monitor", _("监测值班")
        REVIEWER = "reviewer", _("审核值班")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("值班人员"),
        on_delete=models.CASCADE,
        related_name="duty_shifts",
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("值班单位"), on_delete=models.PROTECT, related_name="duty_shifts"
    )
    role = models.CharField(_("值班类别"), max_length=16, choices=Role.choices)
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    note = models.CharField(_("备注"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("排班人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("排班时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("值班班次")
        verbose_name_plural = _("值班表")
        ordering: ClassVar[list[str]] = ["starts_at", "role", "pk"]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["unit", "role", "starts_at", "ends_at"], name="duty_on_at_idx"),
            models.Index(fields=["user", "starts_at"], name="duty_user_idx"),
        ]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="duty_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.starts_at:%Y-%m-%d %H:%M}"


# The memberships that may stand each duty: a monitor shift needs a monitor, a reviewer shift
# a reviewer (or the unit's leader, who reviews as well: accounts.roles.is_cac_reviewer).
DUTY_MEMBER_ROLES: dict[str, tuple[str, ...]] = {
    DutyShift.Role.MONITOR: (Membership.Role.MONITOR,),
    DutyShift.Role.REVIEWER: (Membership.Role.REVIEWER, Membership.Role.LEADER),
}
