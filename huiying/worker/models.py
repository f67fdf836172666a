"""The record of periodic runs: one row per job and period, so each period's job runs once.

Every ``huey`` consumer runs its own scheduler, so with several workers each periodic job is
enqueued once per worker and period. The first copy to insert the row ``(job, period)`` runs the
job; the others find the row and do nothing (``huiying/worker/periodic.py``).
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _


class PeriodicRun(models.Model):
    class Outcome(models.TextChoices):
        RUNNING = "running", _("运行中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    id = models.BigAutoField(primary_key=True)
    job = models.CharField(_("任务"), max_length=200)
    # The start of the period: the schedule's matching minute, in UTC.
    period = models.DateTimeField(_("周期"))
    holder = models.CharField(_("执行者"), max_length=200)
    claimed_at = models.DateTimeField(_("开始时间"))
    # A run still "running" after this is presumed dead (its worker was killed): another copy
    # of the same period may take it over.
    lease_until = models.DateTimeField(_("租约到期"))
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    outcome = models.CharField(
        _("结果"), max_length=10, choices=Outcome.choices, default=Outcome.RUNNING
    )
    attempts = models.PositiveIntegerField(_("执行次数"), default=1)
    last_error = models.TextField(_("最近错误"), blank=True)

    class Meta:
        verbose_name = _("周期任务运行")
        verbose_name_plural = _("周期任务运行")
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["job", "period"], name="uniq_periodic_run"),
        ]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["period"], name="periodic_run_period_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.job} @ {self.period:%Y-%m-%d %H:%M} {self.outcome}"
