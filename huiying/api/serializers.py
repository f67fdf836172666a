"""What the API returns: read-only shapes of a form, its records and its timeline.

Times are ISO 8601 in Asia/Shanghai (``+08:00``). Every coded value (status, category, …)
comes with its Chinese ``*_label``.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from huiying.accounts.roles import Principal
from huiying.api.permissions import useful_actions
from huiying.cases import abilities, clocks, selectors
from huiying.cases.clocks import ClockView, State
from huiying.cases.models import (
    Assignment,
    Category,
    Feedback,
    Milestone,
    ReplyChannel,
    Response,
    Severity,
    Signature,
    SourceItem,
    Status,
)
from huiying.cases.transitions import BY_ACTION
from huiying.cases.views import EVENT_LABELS
from huiying.common.models import AuditEvent

ACTION_NAMES = sorted(BY_ACTION)


def person_name(user: Any) -> str:
    return (getattr(user, "full_name", "") or getattr(user, "username", "")) if user else ""


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.SerializerMethodField()

    def get_name(self, user: Any) -> str:
        return person_name(user)


class UnitRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class DeadlinesSerializer(serializers.Serializer):
    """The current due time of each obligation (its latest clock; extensions included)."""

    sign = serializers.DateTimeField(allow_null=True)
    reply = serializers.DateTimeField(allow_null=True)
    feedback = serializers.DateTimeField(allow_null=True)
    backfill = serializers.DateTimeField(allow_null=True)


class ClockSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="kind-round，如 feedback-2（退回重办后的第二次反馈）")
    kind = serializers.CharField(
        help_text="sign 签收 / reply 答复 / feedback 反馈 / backfill 补填（网信办）"
        " / authoritative_info / press_conference / continued_release（R3.6 发布节点）"
    )
    round = serializers.IntegerField()
    label = serializers.CharField()  # type: ignore[assignment]
    owner = serializers.CharField(help_text="unit 承办单位 / cac 网信办")
    started_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField()
    original_due_at = serializers.DateTimeField(help_text="最初的时限；延期后 due_at 晚于它")
    done_at = serializers.DateTimeField(allow_null=True)
    stopped_at = serializers.DateTimeField(allow_null=True)
    stop_reason = serializers.CharField()
    state = serializers.ChoiceField(
        choices=[s.value for s in State],
        help_text="running 计时中 / due_soon 即将到期 / overdue 已超时 / done_on_time 按时完成"
        " / done_late 逾期完成 / stopped 已停止计时",
    )
    state_label = serializers.CharField()
    remaining_seconds = serializers.IntegerField(allow_null=True)
    late_against_original = serializers.BooleanField(help_text="晚于最初时限（不论是否延期）")


class StepSerializer(serializers.Serializer):
    action = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    allowed = serializers.BooleanField()
    refusal = serializers.CharField(
        help_text="state 状态不允许 / role 无权限 / author 四眼原则 / condition 条件不满足"
    )
    reason = serializers.CharField(help_text="不能执行的原因（中文），可直接展示")


def _principal(context: dict[str, Any]) -> Principal:
    who = context.get("principal")
    if not isinstance(who, Principal):
        raise RuntimeError("serializer context needs the caller's principal")
    return who


class FormListSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField(allow_null=True, help_text="交办单编号，交办时生成")
    status = serializers.ChoiceField(choices=Status.choices)
    status_label = serializers.CharField(source="get_status_display")
    title = serializers.CharField()
    unit = UnitRefSerializer(help_text="承办单位")
    is_lead = serializers.BooleanField(help_text="是否牵头单位")
    category = serializers.ChoiceField(choices=Category.choices)
    category_label = serializers.CharField(source="get_category_display")
    severity = serializers.ChoiceField(choices=Severity.choices)
    severity_label = serializers.CharField(source="get_severity_display")
    reply_channel = serializers.ChoiceField(choices=ReplyChannel.choices)
    reply_channel_label = serializers.CharField(source="get_reply_channel_display")
    deadlines = serializers.SerializerMethodField()
    clocks = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    issued_at = serializers.DateTimeField(allow_null=True)
    signed_at = serializers.DateTimeField(allow_null=True)
    responded_at = serializers.DateTimeField(allow_null=True)
    feedback_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    available_actions = serializers.SerializerMethodField(
        help_text="调用者现在可以执行的操作（见 /api/v1/transitions/）"
    )

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(ACTION_NAMES)))
    def get_available_actions(self, form: Assignment) -> list[str]:
        facts = self.context.get("facts", {}).get(form.pk)
        return useful_actions(_principal(self.context), form, facts)

    def _clock_views(self, form: Assignment) -> list[ClockView]:
        cached = self.context.get("clocks")
        if cached is not None:
            return list(cached.get(form.pk, []))
        return clocks.for_form(form)

    @extend_schema_field(DeadlinesSerializer)
    def get_deadlines(self, form: Assignment) -> dict[str, Any]:
        current: dict[str, Any] = {"sign": None, "reply": None, "feedback": None, "backfill": None}
        for view in self._clock_views(form):  # in round order: the latest round wins
            if view.kind in current:
                current[view.kind] = view.due_at
        return dict(DeadlinesSerializer(current).data)

    @extend_schema_field(ClockSerializer(many=True))
    def get_clocks(self, form: Assignment) -> list[dict[str, Any]]:
        return list(ClockSerializer(self._clock_views(form), many=True).data)


class SourceItemSerializer(serializers.ModelSerializer[SourceItem]):
    class Meta:
        model = SourceItem
        fields = ("id", "platform", "url", "title", "text", "author", "published_at")


class AttachmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    sha256 = serializers.CharField()
    size = serializers.IntegerField()
    uploaded_at = serializers.DateTimeField()


class ResponseSerializer(serializers.ModelSerializer[Response]):
    recorded_by = PersonSerializer()

    class Meta:
        model = Response
        fields = (
            "id",
            "platform",
            "url",
            "text",
            "responded_at",
            "matches_source_platform",
            "recorded_by",
            "recorded_at",
        )


class FeedbackSerializer(serializers.ModelSerializer[Feedback]):
    kind_label = serializers.CharField(source="get_kind_display")
    outcome_label = serializers.CharField(source="get_outcome_display")
    filed_by = PersonSerializer()

    class Meta:
        model = Feedback
        fields = (
            "id",
            "kind",
            "kind_label",
            "outcome",
            "outcome_label",
            "text",
            "filed_by",
            "filed_at",
            "review_result",
            "review_reason",
        )


class SignatureSerializer(serializers.Serializer):
    signed_by = PersonSerializer()
    signed_at = serializers.DateTimeField()
    content_hash = serializers.CharField(help_text="签收时交办单内容的 SHA-256")
    content_version = serializers.IntegerField()
    changed_since_signing = serializers.BooleanField(help_text="签收后交办单内容是否被修改")


class MilestoneSerializer(serializers.ModelSerializer[Milestone]):
    # Plain strings (not an enum) in the schema: "kind" is already Feedback.Kind there.
    kind = serializers.CharField(
        help_text="authoritative_info 权威信息（5小时）/ press_conference 新闻发布会（24小时）"
        " / continued_release 持续发布"
    )
    label = serializers.CharField(source="get_kind_display")  # type: ignore[assignment]

    class Meta:
        model = Milestone
        fields = ("id", "kind", "label", "sequence", "due_at", "done_at", "place", "url", "note")

    due_at = serializers.DateTimeField(source="clock.due_at")
    done_at = serializers.DateTimeField(source="clock.done_at", allow_null=True)


class PhoneAssignmentSerializer(serializers.Serializer):
    called_at = serializers.DateTimeField(help_text="通话时间：交办即从此刻起算")
    callee_name = serializers.CharField()
    content = serializers.CharField()
    backfilled_at = serializers.DateTimeField(
        allow_null=True, help_text="补填时间；null 表示尚未补填"
    )


class _DecisionFields(serializers.Serializer):
    # Plain strings (not an enum) in the schema: "status" is the form's status there.
    status = serializers.CharField(help_text="pending 待审批 / granted 已同意 / refused 已驳回")
    status_label = serializers.CharField(source="get_status_display")
    requested_by = PersonSerializer()
    requested_at = serializers.DateTimeField()
    reason = serializers.CharField()
    decided_at = serializers.DateTimeField(allow_null=True)
    decision_reason = serializers.CharField()


class ExtensionRequestSerializer(_DecisionFields):
    id = serializers.IntegerField()
    requested_until = serializers.DateTimeField()


class ReliefRequestSerializer(_DecisionFields):
    id = serializers.IntegerField()
    suggested_unit = UnitRefSerializer(allow_null=True)


class SiblingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField(allow_null=True)
    unit = UnitRefSerializer()
    is_lead = serializers.BooleanField()
    status = serializers.ChoiceField(choices=Status.choices)
    status_label = serializers.CharField(source="get_status_display")
    visible = serializers.BooleanField(
        help_text="调用者能否打开这份交办单（GET /api/v1/forms/{id}/）"
    )


class ThreadSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    siblings = SiblingSerializer(
        many=True,
        help_text="同一事项下其他单位的交办单（牵头/协办），与页面相同：网信办以外的人看不到"
        "仍在拟稿、审核中的交办单",
    )


class FormDetailSerializer(FormListSerializer):
    summary = serializers.CharField()
    cac_opinion = serializers.CharField()
    version = serializers.IntegerField(help_text="内容版本，交办后每次修改加一")
    drafter = PersonSerializer()
    reviewer = PersonSerializer(allow_null=True)
    reassigned_from = serializers.IntegerField(source="reassigned_from_id", allow_null=True)
    sources = SourceItemSerializer(source="source_items", many=True)
    attachments = AttachmentSerializer(many=True)
    responses = ResponseSerializer(many=True)
    feedbacks = FeedbackSerializer(many=True)
    signature = serializers.SerializerMethodField()
    steps = serializers.SerializerMethodField(
        help_text="交办单流转表中的每个操作：调用者现在能否执行，不能时的原因"
    )
    phone_assignment = serializers.SerializerMethodField()
    milestones = MilestoneSerializer(many=True)
    extension_requests = ExtensionRequestSerializer(many=True)
    relief_requests = ReliefRequestSerializer(many=True)
    thread = serializers.SerializerMethodField()

    @extend_schema_field(SignatureSerializer(allow_null=True))
    def get_signature(self, form: Assignment) -> dict[str, Any] | None:
        sig, changed = selectors.signature_state(form)
        if not isinstance(sig, Signature):
            return None
        sig.changed_since_signing = changed  # type: ignore[attr-defined]
        return dict(SignatureSerializer(sig).data)

    @extend_schema_field(StepSerializer(many=True))
    def get_steps(self, form: Assignment) -> list[dict[str, Any]]:
        rows = [
            {
                "action": st.action,
                "label": str(st.transition.label),
                "allowed": st.allowed,
                "refusal": st.refusal,
                "reason": st.reason,
            }
            for st in abilities.steps(_principal(self.context), form)
        ]
        return list(StepSerializer(rows, many=True).data)

    @extend_schema_field(PhoneAssignmentSerializer(allow_null=True))
    def get_phone_assignment(self, form: Assignment) -> dict[str, Any] | None:
        phone = getattr(form, "phone_assignment", None)
        return None if phone is None else dict(PhoneAssignmentSerializer(phone).data)

    @extend_schema_field(ThreadSerializer)
    def get_thread(self, form: Assignment) -> dict[str, Any]:
        siblings = []
        for sibling, visible in selectors.known_siblings(_principal(self.context), form):
            sibling.visible = visible  # type: ignore[attr-defined]
            siblings.append(sibling)
        data = {"id": form.thread_id, "title": form.thread.title, "siblings": siblings}
        return dict(ThreadSerializer(data).data)


def detail_queryset() -> QuerySet[Assignment]:
    return Assignment.objects.select_related(
        "unit", "drafter", "reviewer", "thread", "phone_assignment"
    ).prefetch_related(
        "source_items",
        "attachments",
        "clocks",
        "milestones__clock",
        "responses__recorded_by",
        "feedbacks__filed_by",
        "extension_requests__requested_by",
        "relief_requests__requested_by",
        "relief_requests__suggested_unit",
    )


class EventSerializer(serializers.Serializer):
    seq = serializers.IntegerField(help_text="审计链序号（全局递增）")
    time = serializers.DateTimeField(source="created_at")
    actor = serializers.SerializerMethodField()
    action = serializers.SerializerMethodField()
    label = serializers.SerializerMethodField()  # type: ignore[assignment]
    before = serializers.JSONField()
    after = serializers.JSONField()
    reason = serializers.CharField()

    @extend_schema_field(PersonSerializer(allow_null=True))
    def get_actor(self, event: AuditEvent) -> dict[str, Any] | None:
        if event.actor_id is None:
            return None
        name = person_name(event.actor) or event.actor_label
        return {"id": event.actor_id, "name": name}

    def get_action(self, event: AuditEvent) -> str:
        return event.action.removeprefix("assignment.")

    def get_label(self, event: AuditEvent) -> str:
        return EVENT_LABELS.get(event.action, event.action)


class TransitionSerializer(serializers.Serializer):
    action = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    sources = serializers.ListField(child=serializers.CharField(), help_text="可执行的状态")
    target = serializers.CharField(
        allow_null=True,
        help_text="目标状态；null 表示状态不变（申请、修改、登记），"
        "“__prior__”表示回到申请前的状态",
    )
    by = serializers.ListField(
        child=serializers.CharField(), help_text="drafter / reviewer / unit / cac"
    )
    reason_required = serializers.BooleanField()
    danger = serializers.BooleanField()
    endpoint = serializers.CharField()


class CreatedFormsSerializer(serializers.Serializer):
    forms = FormDetailSerializer(many=True, help_text="每个承办单位一份：牵头单位在前")


class ActionResultSerializer(serializers.Serializer):
    action = serializers.CharField()
    form = FormDetailSerializer()
    new_form_id = serializers.IntegerField(
        allow_null=True, help_text="改派时新生成的交办单编号（id），其他操作为 null"
    )
