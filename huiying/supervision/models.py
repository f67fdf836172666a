"""催办督办 (R6) and 问责 (R6.4, R9.2): the ladder's policy and steps, supervision orders and
accountability referrals.

A step of the ladder (a warning, a numbered 催办, the escalation to 督查室) is a row unique per
(clock, kind, n): whatever runs the sweep, however often, it exists at most once. The clocks
themselves stay in ``huiying.cases.clocks``; this app only reads them and, for a 督办单, asks
that module to start one.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from huiying.cases.models import Assignment, Category, Clock, Severity
from huiying.common.choices import ChoiceLabelsMixin


def default_fractions() -> list[float]:
    return [0.5, 0.8]


def default_remind_roles() -> list[str]:
    return ["handler", "spokesperson"]


def default_escalate_roles() -> list[str]:
    return ["leader"]


class LadderPolicy(ChoiceLabelsMixin, models.Model):
    """One rung plan per category × severity; an empty category or severity matches any.

    The most specific row wins (category and severity, then category, then severity, then the
    default row with neither). 网信办 edits these in the admin (R6.2, R6.3).
    """

    class Measure(models.TextChoices):
        WORKING = "working", _("工作小时")
        NATURAL = "natural", _("自然小时")

    category = models.CharField(
        _("类别"), max_length=32, choices=Category.choices, blank=True, default=""
    )
    severity = models.CharField(
        _("等级"), max_length=4, choices=Severity.choices, blank=True, default=""
    )
    warn_fractions = models.JSONField(
        _("预警点（已用时限的比例）"),
        default=default_fractions,
        help_text=_("例如 [0.5, 0.8]：用去一半和八成时限时各预警一次。"),
    )
    remind_interval_hours = models.DecimalField(
        _("催办间隔（小时）"), max_digits=6, decimal_places=2, default=8
    )
    remind_measure = models.CharField(
        _("催办间隔计时方式"), max_length=8, choices=Measure.choices, default=Measure.WORKING
    )
    reminders_before_escalation = models.PositiveSmallIntegerField(
        _("提请督办前的催办次数"), default=2
    )
    warn_roles = models.JSONField(_("预警对象"), default=default_remind_roles)
    remind_roles = models.JSONField(_("催办对象"), default=default_remind_roles)
    escalate_roles = models.JSONField(_("提请督办时抄送单位的"), default=default_escalate_roles)
    order_days = models.PositiveSmallIntegerField(_("督办单说明时限（工作日）"), default=3)
    order_hours_emergency = models.PositiveSmallIntegerField(
        _("紧急事项督办单说明时限（自然小时）"), default=12
    )

    class Meta:
        verbose_name = _("催办督办规则")
        verbose_name_plural = _("催办督办规则")
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["category", "severity"], name="uniq_ladder_policy"),
        ]

    def __str__(self) -> str:
        cat = self.get_category_display() if self.category else _("全部类别")
        sev = self.get_severity_display() if self.severity else _("全部等级")
        return f"{cat} · {sev}"


class Track(models.Model):
    """Where the sweep stands on one clock: the due time it planned against and when the
    clock's next step falls. ``next_at`` null: nothing more to do on it."""

    clock = models.OneToOneField(
        Clock, primary_key=True, on_delete=models.CASCADE, related_name="ladder_track"
    )
    due_at = models.DateTimeField()
    next_at = models.DateTimeField(null=True, blank=True)
    # Steps of each kind recorded against earlier due times (before an extension): the rungs
    # of the current due time are numbered after them, so a deadline missed again is chased
    # again ({"reminder": 1} after one 催办 and an extension).
    bases = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("催办进度")
        verbose_name_plural = _("催办进度")
        indexes: ClassVar[list[models.Index]] = [
            models.Index(
                fields=["next_at"],
                name="sup_track_next_idx",
                condition=models.Q(next_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"track {self.clock_id}"


class NoticeSequence(models.Model):
    """Gap-free numbers per kind and year (催办通知, 督办单): locked in the writing transaction."""

    kind = models.CharField(max_length=16)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("文书编号序列")
        verbose_name_plural = _("文书编号序列")
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["kind", "year"], name="uniq_notice_seq"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.year}: {self.last}"


class Step(ChoiceLabelsMixin, models.Model):
    """One rung reached on one clock: at most once per (clock, kind, n)."""

    class Kind(models.TextChoices):
        WARNING = "warning", _("到期预警")
        REMINDER = "reminder", _("催办")
        ESCALATION = "escalation", _("提请督办")

    clock = models.ForeignKey(Clock, on_delete=models.PROTECT, related_name="ladder_steps")
    assignment = models.ForeignKey(
        Assignment, on_delete=models.PROTECT, related_name="ladder_steps"
    )
    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices)
    n = models.PositiveSmallIntegerField(_("次序"))
    planned_at = models.DateTimeField(_("应发时间"))
    happened_at = models.DateTimeField(_("发出时间"))
    clock_due_at = models.DateTimeField(_("当时时限"))
    number = models.CharField(_("催办通知编号"), max_length=40, blank=True)
    number_year = models.PositiveSmallIntegerField(null=True, blank=True)
    number_seq = models.PositiveIntegerField(null=True, blank=True)
    # The 督办单 that took up an escalation (督查室's queue shows those not yet taken up).
    order = models.ForeignKey(
        "SupervisionOrder", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("催办记录")
        verbose_name_plural = _("催办记录")
        ordering: ClassVar[list[str]] = ["happened_at", "pk"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["clock", "kind", "n"], name="uniq_ladder_step"),
            models.UniqueConstraint(
                fields=["number_year", "number_seq"], name="uniq_reminder_number"
            ),
        ]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(
                fields=["happened_at"],
                name="sup_step_open_esc_idx",
                condition=models.Q(kind="escalation", order__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.number or f"{self.get_kind_display()} #{self.n}"

    @property
    def clock_label(self) -> str:
        from huiying.cases.clocks import label

        return label(self.clock)


class OrderStatus(models.TextChoices):
    ISSUED = "issued", _("已下达（待说明）")
    EXPLAINED = "explained", _("已说明（待审查）")
    CLOSED = "closed", _("已办结")
    REFERRED = "referred", _("已移送问责")


class SupervisionOrder(ChoiceLabelsMixin, models.Model):
    """督办单: 督查室's order to the unit's main leader, with its own number and deadline."""

    assignment = models.ForeignKey(
        Assignment, on_delete=models.PROTECT, related_name="supervision_orders"
    )
    number = models.CharField(_("督办单编号"), max_length=40, unique=True)
    number_year = models.PositiveSmallIntegerField()
    number_seq = models.PositiveIntegerField()
    addressee = models.CharField(_("主送"), max_length=100)
    requirements = models.TextField(_("督办要求"))
    clock = models.OneToOneField(Clock, on_delete=models.PROTECT, related_name="supervision_order")
    status = models.CharField(
        _("状态"), max_length=12, choices=OrderStatus.choices, default=OrderStatus.ISSUED
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField(_("下达时间"))
    due_at = models.DateTimeField(_("说明时限"))
    explanation = models.TextField(_("书面说明"), blank=True)
    explained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    explained_at = models.DateTimeField(_("说明时间"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    closing_note = models.TextField(_("审查意见"), blank=True)

    class Meta:
        verbose_name = _("督办单")
        verbose_name_plural = _("督办单")
        ordering: ClassVar[list[str]] = ["-issued_at"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["number_year", "number_seq"], name="uniq_order_number"),
        ]

    def __str__(self) -> str:
        return self.number


class Outcome(models.TextChoices):
    CIRCULAR = "circular", _("通报批评")
    EFFICIENCY = "efficiency", _("效能问责")
    NONE = "none", _("不予问责")


class Referral(ChoiceLabelsMixin, models.Model):
    """问责移送: the form referred to 监委 with the evidence frozen at the moment of referral."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待处理")
        DECIDED = "decided", _("已处理")

    assignment = models.ForeignKey(Assignment, on_delete=models.PROTECT, related_name="referrals")
    order = models.ForeignKey(
        SupervisionOrder,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="referrals",
    )
    number = models.CharField(_("移送编号"), max_length=40, unique=True)
    number_year = models.PositiveSmallIntegerField()
    number_seq = models.PositiveIntegerField()
    reason = models.TextField(_("移送理由"))
    referred_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    referred_at = models.DateTimeField(_("移送时间"))
    referring_office = models.CharField(_("移送机关"), max_length=16)
    evidence = models.JSONField(_("证据材料"), default=dict)
    evidence_sha256 = models.CharField(_("证据摘要"), max_length=64)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    outcome = models.CharField(
        _("处理结果"), max_length=12, choices=Outcome.choices, blank=True, default=""
    )
    outcome_reason = models.TextField(_("处理理由"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("问责移送")
        verbose_name_plural = _("问责移送")
        ordering: ClassVar[list[str]] = ["-referred_at"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["number_year", "number_seq"], name="uniq_referral_number"
            ),
        ]

    def __str__(self) -> str:
        return self.number
