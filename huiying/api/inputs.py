"""What the API accepts: the new draft, the list filters, and one payload per step of the table.

The serializers only clean input (types, choices, unit codes); the services decide what is
allowed. Times without an offset are read as Asia/Shanghai.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rest_framework import serializers

from huiying.cases.models import Category, Feedback, ReplyChannel, Severity, Status
from huiying.cases.transitions import BY_ACTION
from huiying.orgs.models import Unit


class UnitCodeField(serializers.SlugRelatedField[Unit]):
    """A unit named by its directory code, e.g. ``"nt-zjj"``; only active units."""

    default_error_messages: ClassVar[dict[str, Any]] = {
        "does_not_exist": "单位代码“{value}”不存在或已停用。",
        "invalid": "单位代码无效。",
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(slug_field="code", queryset=Unit.objects.filter(is_active=True), **kwargs)


def reason_field(action: str) -> serializers.CharField:
    """Required exactly where the transitions table says so."""
    required = BY_ACTION[action].reason_required
    return serializers.CharField(
        required=required,
        allow_blank=not required,
        default="" if not required else serializers.empty,
        help_text="理由 / 意见" + ("（必填）" if required else "（可选）"),
    )


# --- list filters ------------------------------------------------------------------------------


class FormFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Status.choices, required=False)
    unit = serializers.SlugField(required=False, help_text="承办单位代码，如 nt-zjj")
    category = serializers.ChoiceField(choices=Category.choices, required=False)
    updated_since = serializers.DateTimeField(
        required=False, help_text="只列出此时间（含）之后有变化的交办单（ISO 8601）"
    )

    def validate_unit(self, value: str) -> str:
        if not Unit.objects.filter(code=value).exists():
            raise serializers.ValidationError(f"单位代码“{value}”不存在。")
        return value


# --- creating a draft ----------------------------------------------------------------------------


class SourceInputSerializer(serializers.Serializer):
    platform = serializers.CharField(max_length=50, help_text="舆情出现的平台")
    url = serializers.URLField(max_length=1000, required=False, allow_blank=True, default="")
    title = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    text = serializers.CharField(required=False, allow_blank=True, default="")
    author = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    published_at = serializers.DateTimeField(required=False, allow_null=True, default=None)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("url") and not str(attrs.get("text", "")).strip():
            raise serializers.ValidationError("舆情信息至少要有链接或内容。")
        return attrs


class CreateFormSerializer(serializers.Serializer):
    lead_unit = UnitCodeField(help_text="牵头（承办）单位代码")
    co_units = serializers.ListField(
        child=UnitCodeField(),
        required=False,
        default=list,
        help_text="协办单位代码；每个单位单独生成一份交办单",
    )
    title = serializers.CharField(max_length=200)
    summary = serializers.CharField()
    category = serializers.ChoiceField(choices=Category.choices)
    severity = serializers.ChoiceField(choices=Severity.choices, default=Severity.IV)
    reply_channel = serializers.ChoiceField(choices=ReplyChannel.choices)
    cac_opinion = serializers.CharField(required=False, allow_blank=True, default="")
    sources = SourceInputSerializer(many=True, required=False, default=list)
    reply_deadline = serializers.DateTimeField(
        required=False, allow_null=True, default=None, help_text="留空则交办时按时限规则计算"
    )
    feedback_deadline = serializers.DateTimeField(
        required=False, allow_null=True, default=None, help_text="留空则交办时按时限规则计算"
    )


# --- one payload per step ----------------------------------------------------------------------


class ActionInput(serializers.Serializer):
    """Base of every step's payload; ``service_kwargs`` maps it onto the service's arguments."""

    action: ClassVar[str] = ""
    schema_note: ClassVar[str] = (
        ""  # shown in the OpenAPI description, for the people who integrate
    )

    def service_kwargs(self) -> dict[str, Any]:
        return dict(self.validated_data)


class EmptyInput(ActionInput):
    """No payload: the step needs nothing but the caller and the form."""


class SubmitInput(EmptyInput):
    action = "submit"
    schema_note = "至少要有一条舆情信息。"


class IssueInput(EmptyInput):
    action = "issue"
    schema_note = "生成交办单编号并按时限规则起算各项时限；同一事项的各单位交办单一并交办。写过或改过稿件内容的人不能交办（四眼原则）。"


class SignInput(EmptyInput):
    """The server records who, when, the client's address and User-Agent, and the hash of
    the exact issued content."""

    action = "sign"
    schema_note = "服务器记录签收人、时间、客户端地址和 User-Agent，以及所签收交办单内容的摘要。"


class ReasonInput(ActionInput):
    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields["reason"] = reason_field(self.action)
        return fields


class ReturnInput(ReasonInput):
    action = "return"


class AcceptInput(ReasonInput):
    action = "accept"


class SendBackInput(ReasonInput):
    action = "send_back"


class RefuseReliefInput(ReasonInput):
    action = "refuse_relief"


class WithdrawInput(ReasonInput):
    action = "withdraw"


class FieldsInput(ActionInput):
    """Only the fields sent are changed."""

    title = serializers.CharField(max_length=200, required=False)
    summary = serializers.CharField(required=False)
    category = serializers.ChoiceField(choices=Category.choices, required=False)
    severity = serializers.ChoiceField(choices=Severity.choices, required=False)
    reply_channel = serializers.ChoiceField(choices=ReplyChannel.choices, required=False)
    cac_opinion = serializers.CharField(required=False, allow_blank=True)
    reply_deadline = serializers.DateTimeField(required=False)
    feedback_deadline = serializers.DateTimeField(required=False)


class EditInput(FieldsInput):
    action = "edit"


class BackfillInput(FieldsInput):
    action = "backfill"
    schema_note = (
        "电话交办后补填书面交办单（网信办自己的补填时限随之完成）并编号；承办单位的时限仍从通话时间起算。"
        "须附上舆情信息：电话交办时未登记的，在 sources 中补充。"
    )
    sources = SourceInputSerializer(many=True, required=False, default=list)


class ConfirmBackfillInput(ReasonInput):
    action = "confirm_backfill"
    schema_note = "四眼原则：补填后即已交办，须由未拟写、未补填本单的另一位审核人复核。"


class AmendInput(FieldsInput, ReasonInput):
    action = "amend"
    schema_note = "内容版本加一；已签收的交办单会显示“签收后内容已修改”。"


class RespondInput(ActionInput):
    action = "respond"
    schema_note = "在舆情出现的平台回应；回应平台与舆情平台不同时会被标记。可多次登记。"
    platform = serializers.CharField(max_length=50, help_text="回应平台，应为舆情出现的平台")
    url = serializers.URLField(max_length=1000, required=False, allow_blank=True, default="")
    text = serializers.CharField(help_text="回应内容")
    responded_at = serializers.DateTimeField(required=False, help_text="留空为现在")


class FileFeedbackInput(ActionInput):
    action = "file_feedback"
    schema_note = "暂不具备办理条件的，kind 填 not_yet_possible 并说明原因。"
    kind = serializers.ChoiceField(
        choices=Feedback.Kind.choices,
        help_text="handled：办理情况；not_yet_possible：暂不具备办理条件的说明",
    )
    outcome = serializers.ChoiceField(
        choices=Feedback.Outcome.choices, required=False, allow_blank=True, default=""
    )
    text = serializers.CharField()


class RequestReliefInput(ReasonInput):
    action = "request_relief"
    suggested_unit = UnitCodeField(required=False, allow_null=True, default=None)


class ReassignInput(ReasonInput):
    action = "reassign"
    schema_note = "本单作“已改派”结束，并立即向新单位交办一份新单（见返回的 new_form_id）。"
    unit = UnitCodeField(help_text="改派给的单位代码")
    cac_opinion = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="给新承办单位的交办意见；留空则把原意见中的原单位名称改为新单位",
    )


class RequestExtensionInput(ReasonInput):
    action = "request_extension"
    until = serializers.DateTimeField(help_text="申请延至")


class DecideExtensionInput(ReasonInput):
    action = "decide_extension"
    grant = serializers.BooleanField(help_text="true 同意，false 驳回（驳回须填理由）")


class RecordMilestoneInput(ActionInput):
    """R3.6 emergency releases: name the milestone by its id from the form's ``milestones``."""

    action = "record_milestone"
    schema_note = "特别重大、重大突发事件的发布节点；登记“持续发布”后自动生成下一次节点。"
    milestone = serializers.IntegerField(help_text="发布节点 id（见交办单详情 milestones）")
    place = serializers.CharField(max_length=200, help_text="发布渠道或地点")
    url = serializers.URLField(max_length=1000, required=False, allow_blank=True, default="")
    note = serializers.CharField(required=False, allow_blank=True, default="")
    done_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


ACTION_INPUTS: dict[str, type[ActionInput]] = {
    cls.action: cls
    for cls in (
        SubmitInput,
        ReturnInput,
        IssueInput,
        BackfillInput,
        ConfirmBackfillInput,
        AmendInput,
        SignInput,
        RespondInput,
        FileFeedbackInput,
        AcceptInput,
        SendBackInput,
        RequestReliefInput,
        RefuseReliefInput,
        ReassignInput,
        RequestExtensionInput,
        DecideExtensionInput,
        WithdrawInput,
        EditInput,
        RecordMilestoneInput,
    )
}
assert set(ACTION_INPUTS) == set(BY_ACTION), "every step of the table needs a payload"
