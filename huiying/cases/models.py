"""The assignment form (《网络政务舆情处置交办单》) and everything recorded over its life."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from huiying.common.choices import ChoiceLabelsMixin
from huiying.orgs.models import Unit


class Category(models.TextChoices):
    """R3.3 (seven ordinary classes) and R3.4 (three emergency classes)."""

    POLICY = "policy", _("重大政策措施和决策部署的议论、质疑、意见建议")
    VITAL_INTEREST = "vital_interest", _("涉及公众切身利益的合理诉求")
    IMAGE = "image", _("可能影响政府形象和公信力的舆情")
    COMPLAINT = "complaint", _("涉及部门（单位）工作及其人员的投诉、举报")
    MORALITY = "morality", _("严重冲击社会道德底线的民生舆情")
    MEDIA_EXPOSURE = "media_exposure", _("省级及以上网络媒体曝光的监督类舆情")
    LEADER_INSTRUCTION = "leader_instruction", _("市领导批示的其他网络舆情")
    EMERGENCY_INCIDENT = (
        "emergency_incident",
        _("紧急：属地重大突发事件、安全生产事故、重大社会关切"),
    )
    EMERGENCY_MASS = "emergency_mass", _("紧急：群体性事件及严重危害社会秩序和国家利益的不实信息")
    EMERGENCY_HAZARD = "emergency_hazard", _("紧急：可能影响群众生命财产安全的隐患")


EMERGENCY_CATEGORIES = frozenset(
    {Category.EMERGENCY_INCIDENT, Category.EMERGENCY_MASS, Category.EMERGENCY_HAZARD}
)


class Severity(models.TextChoices):
    I = "I", _("Ⅰ级（特别重大）")  # noqa: E741
    II = "II", _("Ⅱ级（重大）")
    III = "III", _("Ⅲ级（较大）")
    IV = "IV", _("Ⅳ级（一般）")


class ReplyChannel(models.TextChoices):
    SAME_PLATFORM = "same_platform", _("原平台公开回应")
    WRITTEN = "written", _("书面反馈")
    PRESS = "press", _("新闻发布")
    PHONE = "phone", _("电话回复")
    GOV_MEDIA = "gov_media", _("政务微博/微信/客户端发布")


class Status(models.TextChoices):
    DRAFT = "draft", _("草稿")
    IN_REVIEW = "in_review", _("待审核")
    RETURNED = "returned", _("已退回拟稿人")
    ISSUED = "issued", _("已交办（待签收）")
    SIGNED = "signed", _("已签收")
    RESPONDED = "responded", _("已回应")
    FEEDBACK_FILED = "feedback_filed", _("已反馈（待审核）")
    REWORK = "rework", _("退回重办")
    RELIEF_REQUESTED = "relief_requested", _("申请退回（非本单位职责）")
    CLOSED = "closed", _("已办结")
    REASSIGNED = "reassigned", _("已改派")
    WITHDRAWN = "withdrawn", _("已撤回")


class CaseThread(models.Model):
    """One matter that may touch several units: one form per unit, one lead unit (R1.4, R3.3)."""

    title = models.CharField(_("事项"), max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("交办事项")
        verbose_name_plural = _("交办事项")

    def __str__(self) -> str:
        return self.title


class Assignment(ChoiceLabelsMixin, models.Model):
    number = models.CharField(_("交办单编号"), max_length=64, unique=True, null=True, blank=True)
    number_year = models.PositiveSmallIntegerField(null=True, blank=True)
    number_seq = models.PositiveIntegerField(null=True, blank=True)
    thread = models.ForeignKey(CaseThread, on_delete=models.PROTECT, related_name="assignments")
    is_lead = models.BooleanField(_("牵头单位"), default=True)
    unit = models.ForeignKey(
        Unit, verbose_name=_("承办单位"), on_delete=models.PROTECT, related_name="assignments"
    )
    title = models.CharField(_("标题"), max_length=200)
    summary = models.TextField(_("舆情摘要"))
    category = models.CharField(_("类别"), max_length=32, choices=Category.choices)
    severity = models.CharField(
        _("等级"), max_length=4, choices=Severity.choices, default=Severity.IV
    )
    reply_channel = models.CharField(_("答复形式"), max_length=20, choices=ReplyChannel.choices)
    cac_opinion = models.TextField(_("交办意见"), blank=True)
    status = models.CharField(
        _("状态"), max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    version = models.PositiveIntegerField(_("内容版本"), default=1)
    issued_content_hash = models.CharField(max_length=64, blank=True)

    drafter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("拟稿人"),
        on_delete=models.PROTECT,
        related_name="drafted_assignments",
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        on_delete=models.PROTECT,
        related_name="reviewed_assignments",
        null=True,
        blank=True,
    )
    reassigned_from = models.ForeignKey(
        "self",
        verbose_name=_("改派自"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reassigned_to",
    )

    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    submitted_at = models.DateTimeField(_("送审时间"), null=True, blank=True)
    issued_at = models.DateTimeField(_("交办时间"), null=True, blank=True, db_index=True)
    signed_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    responded_at = models.DateTimeField(_("首次回应时间"), null=True, blank=True)
    feedback_at = models.DateTimeField(_("反馈时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)

    # The reply and feedback times written on the form (R3.1): set by the drafter or, when
    # left empty, from the deadline policy at issue. They are content the unit signs over.
    # What is owed now (extended, done, stopped) lives in the form's clocks (Clock below).
    reply_deadline = models.DateTimeField(_("答复时限"), null=True, blank=True)
    feedback_deadline = models.DateTimeField(_("反馈时限"), null=True, blank=True)

    class Meta:
        verbose_name = _("交办单")
        verbose_name_plural = _("交办单")
        ordering: ClassVar[list[str]] = ["-created_at"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["number_year", "number_seq"], name="uniq_form_number_seq"
            ),
        ]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["unit", "status", "-issued_at"], name="assign_unit_status_idx"),
            models.Index(fields=["status", "-submitted_at"], name="assign_status_sub_idx"),
            # The reviewer queue's order, read from the index alone (selectors.reviewer_queue_order).
            models.Index(
                fields=["submitted_at", "id"],
                name="assign_queue_idx",
                condition=models.Q(
                    status__in=[Status.IN_REVIEW, Status.FEEDBACK_FILED, Status.RELIEF_REQUESTED]
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.number or f"草稿 #{self.pk}"

    @property
    def is_emergency(self) -> bool:
        return self.category in EMERGENCY_CATEGORIES

    @property
    def is_major_emergency(self) -> bool:
        return self.is_emergency and self.severity in {Severity.I, Severity.II}


class SourceItem(models.Model):
    """The online item(s) an assignment is about: a link, its text, a screenshot."""

    assignment = models.ForeignKey(
        Assignment, on_delete=models.CASCADE, related_name="source_items"
    )
    platform = models.CharField(_("平台"), max_length=50)
    url = models.URLField(_("链接"), max_length=1000, blank=True)
    title = models.CharField(_("标题"), max_length=300, blank=True)
    text = models.TextField(_("内容"), blank=True)
    author = models.CharField(_("发帖人"), max_length=100, blank=True)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    # The collected item this source is (drafted from the triage desk): the form links to it
    # and its evidence instead of a retyped copy. Empty for sources typed by hand.
    item = models.ForeignKey(
        "monitoring.Item",
        verbose_name=_("采集信息"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("舆情信息")
        verbose_name_plural = _("舆情信息")

    def __str__(self) -> str:
        return self.title or self.url


class Attachment(models.Model):
    """A file of the form: of its source items (while a draft), or of a response or feedback."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="attachments")
    response = models.ForeignKey(
        "Response", null=True, blank=True, on_delete=models.PROTECT, related_name="files"
    )
    feedback = models.ForeignKey(
        "Feedback", null=True, blank=True, on_delete=models.PROTECT, related_name="files"
    )
    file = models.FileField(_("文件"), upload_to="attachments/%Y/%m/")
    name = models.CharField(_("文件名"), max_length=200)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField(default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")

    def __str__(self) -> str:
        return self.name


class Signature(models.Model):
    """签收: who signed, when, from where, over exactly which content (R3.2)."""

    assignment = models.ForeignKey(Assignment, on_delete=models.PROTECT, related_name="signatures")
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    signed_at = models.DateTimeField(_("签收时间"))
    ip_address = models.GenericIPAddressField(_("IP"), null=True, blank=True)
    user_agent = models.CharField(_("终端"), max_length=300, blank=True)
    content_hash = models.CharField(_("签收内容摘要"), max_length=64)
    content_version = models.PositiveIntegerField(_("签收时内容版本"))

    class Meta:
        verbose_name = _("签收记录")
        verbose_name_plural = _("签收记录")

    def __str__(self) -> str:
        return f"{self.assignment} 签收 {self.signed_at:%Y-%m-%d %H:%M}"


class Response(models.Model):
    """A published response (R4.1, R4.2): where, with what link and text, and when."""

    assignment = models.ForeignKey(Assignment, on_delete=models.PROTECT, related_name="responses")
    platform = models.CharField(_("回应平台"), max_length=50)
    url = models.URLField(_("回应链接"), max_length=1000, blank=True)
    text = models.TextField(_("回应内容"))
    responded_at = models.DateTimeField(_("回应时间"))
    matches_source_platform = models.BooleanField(_("在舆情出现平台回应"), default=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("回应记录")
        verbose_name_plural = _("回应记录")
        ordering: ClassVar[list[str]] = ["responded_at"]

    def __str__(self) -> str:
        return f"{self.platform} {self.responded_at:%Y-%m-%d %H:%M}"


class Feedback(ChoiceLabelsMixin, models.Model):
    class Kind(models.TextChoices):
        HANDLED = "handled", _("办理情况")
        NOT_YET_POSSIBLE = "not_yet_possible", _("暂不具备办理条件的说明")

    class Outcome(models.TextChoices):
        """What the public record reports (R7.2)."""

        NONE = "", _("—")
        SUGGESTION_ADOPTED = "suggestion_adopted", _("建设性意见建议已吸收采纳")
        DIFFICULTY_SOLVED = "difficulty_solved", _("群众实际困难已研究解决")
        PROBLEM_INVESTIGATED = "problem_investigated", _("重大问题已调查处置")
        EXPLAINED = "explained", _("已解释说明")

    assignment = models.ForeignKey(Assignment, on_delete=models.PROTECT, related_name="feedbacks")
    kind = models.CharField(_("反馈类型"), max_length=20, choices=Kind.choices)
    outcome = models.CharField(
        _("办理结果"), max_length=24, choices=Outcome.choices, blank=True, default=""
    )
    text = models.TextField(_("反馈内容"))
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    filed_at = models.DateTimeField(_("反馈时间"))
    review_result = models.CharField(_("审核结果"), max_length=20, blank=True)
    review_reason = models.TextField(_("审核意见"), blank=True)

    class Meta:
        verbose_name = _("办理情况反馈")
        verbose_name_plural = _("办理情况反馈")
        ordering: ClassVar[list[str]] = ["filed_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.filed_at:%Y-%m-%d}"


class RequestStatus(models.TextChoices):
    PENDING = "pending", _("待审批")
    GRANTED = "granted", _("已同意")
    REFUSED = "refused", _("已驳回")


class ExtensionRequest(ChoiceLabelsMixin, models.Model):
    assignment = models.ForeignKey(
        Assignment, on_delete=models.PROTECT, related_name="extension_requests"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField()
    reason = models.TextField(_("延期理由"))
    requested_until = models.DateTimeField(_("申请延至"))
    status = models.CharField(
        max_length=10, choices=RequestStatus.choices, default=RequestStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)

    class Meta:
        verbose_name = _("延期申请")
        verbose_name_plural = _("延期申请")

    def __str__(self) -> str:
        return f"{self.assignment} 延期至 {self.requested_until:%Y-%m-%d}"


class ReliefRequest(ChoiceLabelsMixin, models.Model):
    """The unit says the matter is not its responsibility and asks 网信办 to reassign it."""

    assignment = models.ForeignKey(
        Assignment, on_delete=models.PROTECT, related_name="relief_requests"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField()
    reason = models.TextField(_("退回理由"))
    suggested_unit = models.ForeignKey(
        Unit,
        verbose_name=_("建议承办单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    prior_status = models.CharField(max_length=20, choices=Status.choices)
    status = models.CharField(
        max_length=10, choices=RequestStatus.choices, default=RequestStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)

    class Meta:
        verbose_name = _("退回申请")
        verbose_name_plural = _("退回申请")

    def __str__(self) -> str:
        return f"{self.assignment} 申请退回"


class PhoneAssignment(models.Model):
    """The emergency path (R3.4): the call comes first, the form is back-filled afterwards."""

    assignment = models.OneToOneField(
        Assignment, on_delete=models.PROTECT, related_name="phone_assignment"
    )
    called_at = models.DateTimeField(_("通话时间"))
    caller = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("交办人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    callee_name = models.CharField(_("接听人"), max_length=50)
    callee_phone = models.CharField(_("接听电话"), max_length=40, blank=True)
    content = models.TextField(_("通话内容"))
    reported_to_leaders = models.CharField(_("已报告的市领导"), max_length=200, blank=True)
    backfilled_at = models.DateTimeField(_("补填时间"), null=True, blank=True)
    backfilled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("补填人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Four eyes after the fact (R3.5): the back-fill issues at once, a second 网信办 member
    # who wrote none of it confirms it afterwards.
    confirmed_at = models.DateTimeField(_("复核时间"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("复核人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("电话交办记录")
        verbose_name_plural = _("电话交办记录")

    def __str__(self) -> str:
        return f"{self.assignment} 电话交办 {self.called_at:%Y-%m-%d %H:%M}"


class Milestone(ChoiceLabelsMixin, models.Model):
    """R3.6 releases of especially major and major emergencies: where and how each was made.

    When each is due and when it was done is its clock (``self.clock``).
    """

    class Kind(models.TextChoices):
        AUTHORITATIVE_INFO = "authoritative_info", _("发布权威信息（5小时内）")
        PRESS_CONFERENCE = "press_conference", _("举行新闻发布会（24小时内）")
        CONTINUED_RELEASE = "continued_release", _("持续发布权威信息")

    assignment = models.ForeignKey(Assignment, on_delete=models.PROTECT, related_name="milestones")
    kind = models.CharField(_("节点"), max_length=24, choices=Kind.choices)
    sequence = models.PositiveSmallIntegerField(default=1)
    place = models.CharField(_("发布渠道/地点"), max_length=200, blank=True)
    url = models.URLField(_("链接"), max_length=1000, blank=True)
    note = models.TextField(_("说明"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("应急发布节点")
        verbose_name_plural = _("应急发布节点")
        ordering: ClassVar[list[str]] = ["pk"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["assignment", "kind", "sequence"], name="uniq_milestone"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.sequence}"


class ThreadNote(models.Model):
    """Coordination between the lead unit and co-units on one matter (R1.4)."""

    thread = models.ForeignKey(CaseThread, on_delete=models.PROTECT, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    text = models.TextField(_("内容"))
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("协同留言")
        verbose_name_plural = _("协同留言")
        ordering: ClassVar[list[str]] = ["created_at"]

    def __str__(self) -> str:
        return self.text[:30]


class DeadlinePolicy(ChoiceLabelsMixin, models.Model):
    """Category × severity → time to sign, to respond and to feed back (R3.5). 网信办 edits it."""

    class Measure(models.TextChoices):
        WORKING_HOURS = "working_hours", _("工作小时")
        WORKING_DAYS = "working_days", _("工作日")
        NATURAL_HOURS = "natural_hours", _("自然小时")

    category = models.CharField(_("类别"), max_length=32, choices=Category.choices)
    severity = models.CharField(_("等级"), max_length=4, choices=Severity.choices)
    measure = models.CharField(_("计时方式"), max_length=16, choices=Measure.choices)
    sign_within = models.DecimalField(_("签收时限"), max_digits=6, decimal_places=2)
    reply_within = models.DecimalField(_("答复时限"), max_digits=6, decimal_places=2)
    feedback_within = models.DecimalField(_("反馈时限"), max_digits=6, decimal_places=2)

    class Meta:
        verbose_name = _("办理时限规则")
        verbose_name_plural = _("办理时限规则")
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["category", "severity"], name="uniq_policy"),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()} {self.get_severity_display()}"


class FormNumberSequence(models.Model):
    """Gap-free numbering per year: the row is locked inside the issuing transaction."""

    year = models.PositiveSmallIntegerField(unique=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("编号序列")
        verbose_name_plural = _("编号序列")

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class AssignmentEditor(models.Model):
    """Everyone who wrote or changed a form's content before it was issued (four eyes, R3.5)."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="editors")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    first_at = models.DateTimeField()
    last_at = models.DateTimeField()

    class Meta:
        verbose_name = _("内容编辑人")
        verbose_name_plural = _("内容编辑人")
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["assignment", "user"], name="uniq_form_editor"),
        ]

    def __str__(self) -> str:
        return f"{self.assignment} · {self.user}"


class Clock(ChoiceLabelsMixin, models.Model):
    """One obligation with a deadline: what, whose, started, due, original due, done, stopped.

    Written only by ``huiying.cases.clocks`` in the transaction of the step that starts, ends,
    extends or stops it; read by every page, the API, documents and reports through the same
    module, which alone says whether a clock is running, due soon, overdue, done or stopped.
    """

    class Kind(models.TextChoices):
        SIGN = "sign", _("签收")
        REPLY = "reply", _("答复（回应）")
        FEEDBACK = "feedback", _("反馈办理情况")
        BACKFILL = "backfill", _("补填交办单")
        CONFIRM = "confirm", _("复核补填内容")
        AUTHORITATIVE_INFO = "authoritative_info", _("发布权威信息（5小时内）")
        PRESS_CONFERENCE = "press_conference", _("举行新闻发布会（24小时内）")
        CONTINUED_RELEASE = "continued_release", _("持续发布权威信息")
        # A supervision order's (督办单) written explanation, owed by the unit's leader.
        SUPERVISION_ORDER = "supervision_order", _("督办单书面说明")

    class Owner(models.TextChoices):
        UNIT = "unit", _("承办单位")
        CAC = "cac", _("网信办")

    class Measure(models.TextChoices):
        WORKING = "working", _("工作时间")
        NATURAL = "natural", _("自然时间")

    assignment = models.ForeignKey(Assignment, on_delete=models.PROTECT, related_name="clocks")
    kind = models.CharField(_("事项"), max_length=24, choices=Kind.choices)
    # The n-th clock of its kind on the form: feedback again after 退回重办, each release.
    round = models.PositiveSmallIntegerField(_("轮次"), default=1)
    owner = models.CharField(_("责任方"), max_length=8, choices=Owner.choices)
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("责任单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="clocks",
    )
    milestone = models.OneToOneField(
        Milestone, null=True, blank=True, on_delete=models.PROTECT, related_name="clock"
    )
    measure = models.CharField(_("计时方式"), max_length=8, choices=Measure.choices)
    started_at = models.DateTimeField(_("开始时间"))
    due_at = models.DateTimeField(_("时限"))
    original_due_at = models.DateTimeField(_("原定时限"))
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    stopped_at = models.DateTimeField(_("停止时间"), null=True, blank=True)
    stop_reason = models.CharField(_("停止原因"), max_length=200, blank=True)
    # When the sweep announced this clock as due soon / missed (each once; reset by an extension).
    warned_at = models.DateTimeField(null=True, blank=True)
    missed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("办理时钟")
        verbose_name_plural = _("办理时钟")
        ordering: ClassVar[list[str]] = ["due_at", "pk"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["assignment", "kind", "round"], name="uniq_clock_round"
            ),
            models.CheckConstraint(
                condition=models.Q(done_at__isnull=True) | models.Q(stopped_at__isnull=True),
                name="clock_done_or_stopped",
            ),
        ]
        indexes: ClassVar[list[models.Index]] = [
            # "Which clocks are open and due before T": the ladder's and the reports' question.
            models.Index(
                fields=["due_at"],
                name="clock_open_due_idx",
                condition=models.Q(done_at__isnull=True, stopped_at__isnull=True),
            ),
            # "The unit's next due time on this form": the inbox sorts by it, per open form.
            models.Index(
                fields=["assignment", "due_at"],
                name="clock_open_unit_idx",
                condition=models.Q(done_at__isnull=True, stopped_at__isnull=True, owner="unit"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.assignment} {self.get_kind_display()} #{self.round}"
