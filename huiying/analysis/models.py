"""Analysis of collected items (R2.2), the events they form, and what the triage desk proposed
and what the monitor made of it (training data for the next ``huiying model train``)."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from huiying.cases.models import Category, Severity
from huiying.common.choices import ChoiceLabelsMixin
from huiying.monitoring.models import Item
from huiying.orgs.models import Unit


class Event(ChoiceLabelsMixin, models.Model):
    """Items about the same matter: copies of one post and different posts about one incident."""

    class Status(models.TextChoices):
        NEW = "new", _("待研判")
        DRAFTED = "drafted", _("已拟制交办单")
        IRRELEVANT = "irrelevant", _("无需处置")
        MERGED = "merged", _("已并入其他事件")

    title = models.CharField(_("事件"), max_length=300)
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.NEW, db_index=True
    )
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged"
    )
    topic = models.CharField(_("话题"), max_length=20, blank=True)
    category = models.CharField(_("类别"), max_length=32, choices=Category.choices, blank=True)
    severity = models.CharField(_("等级"), max_length=4, choices=Severity.choices, blank=True)
    # Ranking keys of the desk (emergency first, then severity, heat, negativity).
    is_emergency = models.BooleanField(_("紧急"), default=False)
    severity_rank = models.PositiveSmallIntegerField(default=5)
    heat = models.FloatField(_("热度"), default=0.0)
    negativity = models.FloatField(_("负面程度"), default=0.0)
    places = models.JSONField(_("地点"), default=list, blank=True)
    place_text = models.CharField(max_length=500, blank=True)  # the places, for filtering
    sample = models.TextField(blank=True)  # words of its first posts, to compare new ones with
    lead_unit = models.ForeignKey(
        Unit,
        verbose_name=_("建议牵头单位"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    units = models.ManyToManyField(
        Unit, verbose_name=_("建议责任单位"), blank=True, related_name="+"
    )
    # Unit codes, lead first, as proposed (the order the forms are drafted in).
    unit_codes = models.JSONField(default=list, blank=True)
    reasons = models.JSONField(_("研判依据"), default=list, blank=True)
    item_count = models.PositiveIntegerField(_("信息数"), default=0)
    first_at = models.DateTimeField(_("首发时间"), db_index=True)
    last_at = models.DateTimeField(_("最新时间"), db_index=True)
    alerted_at = models.DateTimeField(_("告警时间"), null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("舆情事件")
        verbose_name_plural = _("舆情事件")
        ordering: ClassVar[list[str]] = ["-is_emergency", "severity_rank", "-heat", "-negativity"]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(
                fields=["status", "-is_emergency", "severity_rank", "-heat"],
                name="event_queue_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class ItemAnalysis(models.Model):
    """What the pipeline says about one collected item (huiying.analysis.pipeline)."""

    item = models.OneToOneField(Item, on_delete=models.CASCADE, related_name="analysis")
    event = models.ForeignKey(
        Event, null=True, blank=True, on_delete=models.SET_NULL, related_name="analyses"
    )
    topic = models.CharField(_("话题"), max_length=20, blank=True)
    topic_scores = models.JSONField(default=dict, blank=True)
    sentiment_label = models.CharField(_("情感"), max_length=10, blank=True)
    sentiment_score = models.FloatField(_("情感分值"), default=0.0)
    rumor_risk = models.FloatField(_("不实信息风险"), default=0.0)
    category = models.CharField(_("类别"), max_length=32, choices=Category.choices, blank=True)
    severity = models.CharField(_("等级"), max_length=4, choices=Severity.choices, blank=True)
    places = models.JSONField(_("地点"), default=list, blank=True)
    unit_codes = models.JSONField(_("责任单位"), default=list, blank=True)
    reasons = models.JSONField(_("研判依据"), default=list, blank=True)
    heat = models.FloatField(_("热度"), default=0.0)
    error = models.CharField(max_length=300, blank=True)
    analysed_at = models.DateTimeField(_("研判时间"))
    # When heat was last computed (null: at analysed_at). A later engagement sample of the
    # item makes the heat refresh (services.heat_refresh) compute it again with its growth.
    heat_at = models.DateTimeField(_("热度计算时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("信息研判")
        verbose_name_plural = _("信息研判")

    def __str__(self) -> str:
        return f"{self.item_id}: {self.topic} {self.category}"


class Proposal(models.Model):
    """What the desk proposed for one drafted form, and (once submitted) what the monitor kept.

    ``proposed`` and ``final`` hold unit (code), is_lead, category, severity, reply_channel.
    A proposal is accepted when the monitor submitted the form without changing any of them.
    """

    assignment = models.OneToOneField(
        "cases.Assignment", on_delete=models.CASCADE, related_name="triage_proposal"
    )
    event = models.ForeignKey(
        Event, null=True, blank=True, on_delete=models.SET_NULL, related_name="proposals"
    )
    item = models.ForeignKey(
        Item, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    proposed = models.JSONField(default=dict)
    final = models.JSONField(default=dict, blank=True)
    changed = models.JSONField(default=list, blank=True)
    accepted = models.BooleanField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("研判建议")
        verbose_name_plural = _("研判建议")

    def __str__(self) -> str:
        return f"proposal for {self.assignment_id}"


class Correction(models.Model):
    """One training example: an item's text with the label the monitor settled on where it
    differs from (or confirms) the machine's. Exported as JSON Lines for ``huiying model train``."""

    class Kind(models.TextChoices):
        FORM = "form", _("交办单（修改或确认）")
        IRRELEVANT = "irrelevant", _("标记为无需处置")
        SPLIT = "split", _("拆出事件")

    kind = models.CharField(max_length=16, choices=Kind.choices)
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="+")
    proposal = models.ForeignKey(
        Proposal, null=True, blank=True, on_delete=models.CASCADE, related_name="corrections"
    )
    proposed = models.JSONField(default=dict)
    final = models.JSONField(default=dict)
    accepted = models.BooleanField(default=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        verbose_name = _("人工更正")
        verbose_name_plural = _("人工更正")
        ordering: ClassVar[list[str]] = ["recorded_at", "pk"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["item", "proposal"],
                condition=models.Q(proposal__isnull=False),
                name="uniq_correction_item_proposal",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.item_id}"
