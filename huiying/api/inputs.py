"""What the API accepts: the new draft, the list filters, and one payload per step of the table.

The serializers only clean input (types, choices, unit codes, lengths, links, times); the
services decide what is allowed and check the same limits again (``huiying.cases.limits``,
the page forms' limits too). Times without an offset are read as Asia/Shanghai.

The OpenAPI schema says what the server does: a required text has a non-blank ``pattern``
(the server strips it and refuses what is left empty), a unit code has the directory's
``pattern`` and length, a link must start with http(s)://.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from django.core.validators import MinLengthValidator, RegexValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from huiying.cases import limits
from huiying.cases.models import Category, Feedback, ReplyChannel, Severity, Status
from huiying.cases.transitions import BY_ACTION
from huiying.common.validators import (
    EARLIEST_YEAR,
    HTTP_URL_PATTERN,
    LATEST_YEAR,
    RANGE_MESSAGE,
    URL_MAX,
    http_url_validator,
    in_range,
)
from huiying.orgs.models import Unit

UNIT_CODE_PATTERN = r"^[-a-zA-Z0-9_]+$"  # Unit.code is a SlugField of at most 64
UNIT_CODE_MAX = 64
# Not only white space: the server strips text and then finds it empty.
NOT_BLANK = RegexValidator(r"\S", message="不能为空。")


@extend_schema_field(
    {
        "type": "string",
        "pattern": UNIT_CODE_PATTERN,
        "maxLength": UNIT_CODE_MAX,
        "description": "单位目录中在用单位的代码，如 nt-zjj；不存在或已停用的代码答 400。",
    }
)
class UnitCodeField(serializers.SlugRelatedField[Unit]):
    """A unit named by its directory code, e.g. ``"nt-zjj"``; only active units."""

    default_error_messages: ClassVar[dict[str, Any]] = {
        "does_not_exist": "单位代码“{value}”不存在或已停用。",
        "invalid": "单位代码无效。",
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(slug_field="code", queryset=Unit.objects.filter(is_active=True), **kwargs)

    def to_internal_value(self, data: Any) -> Unit:
        # A value that cannot be a code is refused before it reaches the database.
        if not isinstance(data, str) or len(data) > UNIT_CODE_MAX or "\x00" in data:
            self.fail("invalid")
        return super().to_internal_value(data)


def text_field(max_length: int, *, required: bool = True, **kwargs: Any) -> serializers.CharField:
    """Text within its limit; a required one must hold more than white space."""
    if required:
        return serializers.CharField(
            max_length=max_length, validators=[MinLengthValidator(1), NOT_BLANK], **kwargs
        )
    kwargs.setdefault("default", "")
    return serializers.CharField(max_length=max_length, required=False, allow_blank=True, **kwargs)


class HttpURLField(serializers.URLField):
    """A link: http(s) only, as long as the models store; empty means none."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", URL_MAX)
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("default", "")
        super().__init__(**kwargs)
        self.validators.append(http_url_validator)
        self.validators.append(
            RegexValidator(HTTP_URL_PATTERN, message=str(http_url_validator.message))
        )


class MomentField(serializers.DateTimeField):
    """An ISO 8601 time within the years the system stores; outside them 400, not a crash."""

    def __init__(self, **kwargs: Any) -> None:
        note = f"{EARLIEST_YEAR}—{LATEST_YEAR} 年之间"
        kwargs["help_text"] = (
            f"{kwargs['help_text']}（{note}）" if kwargs.get("help_text") else note
        )
        super().__init__(**kwargs)

    def to_internal_value(self, value: Any) -> dt.datetime:
        try:
            moment = super().to_internal_value(value)
        except (OverflowError, ValueError):  # an offset that moves it past year 1 or 9999
            raise serializers.ValidationError(str(RANGE_MESSAGE), code="out_of_range") from None
        if not in_range(moment):
            raise serializers.ValidationError(str(RANGE_MESSAGE), code="out_of_range")
        return moment


def reason_field(action: str) -> serializers.CharField:
    """Required (and not blank) exactly where the transitions table says so."""
    required = BY_ACTION[action].reason_required
    return text_field(
        limits.TEXT,
        required=required,
        help_text="理由 / 意见" + ("（必填，不能为空白）" if required else "（可选）"),
    )


# --- list filters ------------------------------------------------------------------------------


class FormFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Status.choices, required=False)
    unit = serializers.SlugField(
        required=False, max_length=UNIT_CODE_MAX, help_text="承办单位代码，如 nt-zjj"
    )
    category = serializers.ChoiceField(choices=Category.choices, required=False)
    updated_since = MomentField(
        required=False, help_text="只列出此时间（含）之后有变化的交办单（ISO 8601）"
    )

    def validate_unit(self, value: str) -> str:
        if not Unit.objects.filter(code=value).exists():
            raise serializers.ValidationError(f"单位代码“{value}”不存在。")
        return value


# --- creating a draft ----------------------------------------------------------------------------


class SourceInputSerializer(serializers.Serializer):
    platform = text_field(limits.PLATFORM, help_text="舆情出现的平台")
    url = HttpURLField()
    title = text_field(limits.SOURCE_TITLE, required=False)
    text = text_field(limits.POST_TEXT, required=False)
    author = text_field(limits.AUTHOR, required=False)
    published_at = MomentField(required=False, allow_null=True, default=None)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("url") and not str(attrs.get("text", "")).strip():
            raise serializers.ValidationError("舆情信息至少要有链接或内容。")
        return attrs


def sources_field() -> serializers.ListField:
    return serializers.ListField(
        child=SourceInputSerializer(),
        required=False,
        default=list,
        max_length=limits.MAX_SOURCES,
        help_text=f"舆情信息，最多 {limits.MAX_SOURCES} 条",
    )


class CreateFormSerializer(serializers.Serializer):
    lead_unit = UnitCodeField(help_text="牵头（承办）单位代码")
    co_units = serializers.ListField(
        child=UnitCodeField(),
        required=False,
        default=list,
        max_length=limits.MAX_CO_UNITS,
        help_text="协办单位代码；每个单位单独生成一份交办单",
    )
    title = text_field(limits.TITLE)
    summary = text_field(limits.TEXT)
    category = serializers.ChoiceField(choices=Category.choices)
    severity = serializers.ChoiceField(choices=Severity.choices, default=Severity.IV)
    reply_channel = serializers.ChoiceField(choices=ReplyChannel.choices)
    cac_opinion = text_field(limits.TEXT, required=False)
    sources = sources_field()
    reply_deadline = MomentField(
        required=False, allow_null=True, default=None, help_text="留空则交办时按时限规则计算"
    )
    feedback_deadline = MomentField(
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

    title = serializers.CharField(max_length=limits.TITLE, required=False, validators=[NOT_BLANK])
    summary = serializers.CharField(max_length=limits.TEXT, required=False, validators=[NOT_BLANK])
    category = serializers.ChoiceField(choices=Category.choices, required=False)
    severity = serializers.ChoiceField(choices=Severity.choices, required=False)
    reply_channel = serializers.ChoiceField(choices=ReplyChannel.choices, required=False)
    cac_opinion = serializers.CharField(max_length=limits.TEXT, required=False, allow_blank=True)
    reply_deadline = MomentField(required=False)
    feedback_deadline = MomentField(required=False)


class EditInput(FieldsInput):
    action = "edit"


class BackfillInput(FieldsInput):
    action = "backfill"
    schema_note = (
        "电话交办后补填书面交办单（网信办自己的补填时限随之完成）并编号；承办单位的时限仍从通话时间起算。"
        "须附上舆情信息：电话交办时未登记的，在 sources 中补充。"
    )
    sources = sources_field()


class ConfirmBackfillInput(ReasonInput):
    action = "confirm_backfill"
    schema_note = "四眼原则：补填后即已交办，须由未拟写、未补填本单的另一位审核人复核。"


class AmendInput(FieldsInput, ReasonInput):
    action = "amend"
    schema_note = "内容版本加一；已签收的交办单会显示“签收后内容已修改”。"


class RespondInput(ActionInput):
    action = "respond"
    schema_note = "在舆情出现的平台回应；回应平台与舆情平台不同时会被标记。可多次登记。"
    platform = text_field(limits.PLATFORM, help_text="回应平台，应为舆情出现的平台")
    url = HttpURLField()
    text = text_field(limits.TEXT, help_text="回应内容")
    responded_at = MomentField(required=False, help_text="留空为现在")


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
    text = text_field(limits.TEXT)


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
        max_length=limits.TEXT,
        help_text="给新承办单位的交办意见；留空则把原意见中的原单位名称改为新单位",
    )


class RequestExtensionInput(ReasonInput):
    action = "request_extension"
    until = MomentField(help_text="申请延至")


class DecideExtensionInput(ReasonInput):
    action = "decide_extension"
    grant = serializers.BooleanField(help_text="true 同意，false 驳回（驳回须填理由）")


class RecordMilestoneInput(ActionInput):
    """R3.6 emergency releases: name the milestone by its id from the form's ``milestones``."""

    action = "record_milestone"
    schema_note = "特别重大、重大突发事件的发布节点；登记“持续发布”后自动生成下一次节点。"
    milestone = serializers.IntegerField(
        min_value=1, max_value=2**63 - 1, help_text="发布节点 id（见交办单详情 milestones）"
    )
    place = text_field(limits.PLACE, help_text="发布渠道或地点")
    url = HttpURLField()
    note = text_field(limits.TEXT, required=False)
    done_at = MomentField(required=False, allow_null=True, default=None)


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
