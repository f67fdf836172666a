"""Shared building blocks: the hash-chained audit log and the working-day calendar data."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(RuntimeError):
    pass


class AuditEvent(models.Model):
    """One append-only row per change of a domain object.

    Rows form a single hash chain (``seq`` is gap-free, ``hash`` covers the previous hash
    and this row's content) so that an edit or deletion made behind the application's
    back is found by ``huiying audit verify``.
    """

    seq = models.BigIntegerField(_("序号"), unique=True)
    created_at = models.DateTimeField(_("时间"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_label = models.CharField(_("操作人名称"), max_length=150, blank=True)
    action = models.CharField(_("动作"), max_length=64)
    object_type = models.CharField(_("对象类型"), max_length=64)
    object_id = models.CharField(_("对象编号"), max_length=64)
    before = models.JSONField(_("变更前"), default=dict, blank=True)
    after = models.JSONField(_("变更后"), default=dict, blank=True)
    reason = models.TextField(_("理由"), blank=True)
    meta = models.JSONField(_("附加信息"), default=dict, blank=True)
    prev_hash = models.CharField(_("上一条的摘要"), max_length=64)
    hash = models.CharField(_("本条摘要"), max_length=64)

    class Meta:
        verbose_name = _("审计事件")
        verbose_name_plural = _("审计事件")
        ordering: ClassVar[list[str]] = ["seq"]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["object_type", "object_id", "seq"], name="audit_object_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AppendOnlyError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("audit events are append-only")


class AuditChainHead(models.Model):
    """The single row that serialises appends to the chain and remembers its tip."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_seq = models.BigIntegerField(_("最后序号"), default=0)
    last_hash = models.CharField(_("最后摘要"), max_length=64, default="0" * 64)

    class Meta:
        verbose_name = _("审计链头")
        verbose_name_plural = _("审计链头")

    def __str__(self) -> str:
        return f"audit head #{self.last_seq}"


class CalendarYear(models.Model):
    """A year whose official holiday schedule is loaded (from chinese-calendar or by staff)."""

    year = models.PositiveSmallIntegerField(_("年份"), unique=True)
    source = models.CharField(_("来源"), max_length=100, default="chinese-calendar")
    note = models.CharField(_("备注"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("已载入的节假日年度")
        verbose_name_plural = _("已载入的节假日年度")
        ordering: ClassVar[list[str]] = ["year"]

    def __str__(self) -> str:
        return str(self.year)


class Holiday(models.Model):
    """An exception to the Monday-to-Friday week: a statutory day off or a make-up working day."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("法定节假日（休息）")
        WORKDAY = "workday", _("调休上班日")

    date = models.DateField(_("日期"), unique=True)
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("名称"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("节假日与调休")
        verbose_name_plural = _("节假日与调休")
        ordering: ClassVar[list[str]] = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} {self.name}"


class OutboxEvent(models.Model):
    """A domain event that other apps must hear about, written in the transaction of the change.

    One row per event; one ``OutboxDelivery`` per consumer that subscribes to its topic, created
    in the same transaction, so a consumer can never miss an event whose change committed.
    """

    id = models.BigAutoField(primary_key=True)
    topic = models.CharField(_("主题"), max_length=64, db_index=True)
    aggregate_type = models.CharField(_("对象类型"), max_length=64)
    aggregate_id = models.CharField(_("对象编号"), max_length=64)
    payload = models.JSONField(_("内容"), default=dict, blank=True)
    actor_id = models.BigIntegerField(_("操作人"), null=True, blank=True)
    created_at = models.DateTimeField(_("时间"), db_index=True)

    class Meta:
        verbose_name = _("领域事件")
        verbose_name_plural = _("领域事件（发件箱）")
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["aggregate_type", "aggregate_id"], name="outbox_aggregate_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.topic} {self.aggregate_type}:{self.aggregate_id}"


class OutboxDelivery(models.Model):
    """One consumer's handling of one event: pending until its handler has committed."""

    class State(models.TextChoices):
        PENDING = "pending", _("待处理")
        DONE = "done", _("已处理")
        FAILED = "failed", _("处理失败")

    event = models.ForeignKey(OutboxEvent, on_delete=models.CASCADE, related_name="deliveries")
    consumer = models.CharField(_("消费者"), max_length=64)
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(_("尝试次数"), default=0)
    available_at = models.DateTimeField(_("可处理时间"))
    done_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    last_error = models.TextField(_("最近错误"), blank=True)

    class Meta:
        verbose_name = _("事件投递")
        verbose_name_plural = _("事件投递")
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["event", "consumer"], name="uniq_outbox_delivery"),
        ]
        indexes: ClassVar[list[models.Index]] = [
            # The drain's question: what is pending for this consumer, oldest first.
            models.Index(
                fields=["consumer", "available_at", "id"],
                name="outbox_pending_idx",
                condition=models.Q(state="pending"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.consumer} ← #{self.event_id} {self.state}"
