"""OpenAPI pieces shared by the views: the one error body and the documented failures."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    error = serializers.CharField(
        help_text="not_authenticated / authentication_failed / not_allowed / not_found / "
        "unknown_action / method_not_allowed / illegal_transition / invalid_input / too_large / "
        "locked_out / server_error / otp_required / otp_invalid / two_factor_enrolment_required"
    )
    message = serializers.CharField(help_text="给人看的中文说明")
    fields = serializers.DictField(  # type: ignore[assignment]
        required=False, help_text="仅 invalid_input：每个字段的错误（字段名 → 错误列表）"
    )


def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(response=ErrorSerializer, description=description)


ERRORS = {
    400: _error("数据无效（invalid_input）"),
    401: _error("未登录或令牌无效（not_authenticated / authentication_failed）"),
    403: _error("无权执行（not_allowed）"),
    404: _error("交办单不存在或您无权查看（not_found）"),
    409: _error("交办单当前状态不能执行此操作（illegal_transition）；未作任何修改"),
    413: _error("请求内容超过上限（too_large）"),
    429: _error("登录失败次数过多，暂时锁定（locked_out）"),
}


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    return {code: ERRORS[code] for code in codes}
