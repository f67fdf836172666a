"""``POST /api/v1/auth/token/``: a new token for username, password and (when enrolled) a code.

The password is checked by ``authenticate`` under django-axes, exactly as on the login page.
DRF hands axes its own ``Request`` wrapper, which axes marks as locked out and
``AxesMiddleware`` never sees; the view reports the lock-out itself: 429 with
``error: "locked_out"``. A wrong one-time code is a failed login for axes too.

A person with two-factor sign-in sends ``otp`` (the 6 digits his authenticator shows); one whose
role requires it and who has not enrolled gets no token until he enrols on the web page.

Every success issues a new token (only its digest is stored, so an old one cannot be handed
out again) and sends ``user_logged_in``, so axes resets the failure count and logs the access
and Django stamps last_login, as for the login page.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in, user_login_failed
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from huiying.accounts import totp
from huiying.accounts.tokens import NAME_MAX, token_issue
from huiying.accounts.twofactor import has_two_factor, two_factor_check, two_factor_required
from huiying.api.errors import error_body
from huiying.api.schema import errors
from huiying.api.views import ChineseMixin

DEFAULT_TOKEN_NAME = "接口登录"  # noqa: S105  (a label)


def lockout_message() -> str:
    minutes = round(float(settings.AXES_COOLOFF_TIME) * 60)
    return f"登录失败次数过多，账号已被暂时锁定，请 {minutes} 分钟后再试。"


class TokenLoginSerializer(serializers.Serializer):
    username = serializers.CharField(write_only=True)
    password = serializers.CharField(
        write_only=True, trim_whitespace=False, style={"input_type": "password"}
    )
    otp = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=20,
        help_text="已启用两步验证的账号必填：验证器上当前显示的 6 位动态验证码",
    )
    name = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=NAME_MAX,
        help_text=f"令牌名称（便于在“接口令牌”页面识别），默认“{DEFAULT_TOKEN_NAME}”",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        user = authenticate(
            request=self.context.get("request"),
            username=attrs["username"],
            password=attrs["password"],
        )
        if user is None:  # wrong password, or an inactive account
            raise serializers.ValidationError("用户名或密码错误。", code="authorization")
        return attrs | {"user": user}


class TokenView(ChineseMixin, APIView):
    permission_classes = ()
    authentication_classes = ()

    @extend_schema(
        summary="用用户名和密码（及动态验证码）换取令牌",
        description="之后每个请求带上请求头 `Authorization: Token <token>`。每次调用都签发一个新令牌"
        "（旧令牌不受影响，到期或修改密码后失效），请妥善保存，不要每个请求都重新获取。"
        "已启用两步验证的账号须同时提交 `otp`；按规定须启用两步验证而尚未启用的账号不能获取令牌。"
        "连续登录失败（含动态验证码错误）达到上限会暂时锁定（与网页登录相同）。",
        request=TokenLoginSerializer,
        responses={
            200: inline_serializer(
                "TokenResponse",
                {
                    "token": serializers.CharField(help_text="只在此处出现一次，系统只保存其摘要"),
                    "name": serializers.CharField(),
                    "expires_at": serializers.DateTimeField(),
                },
            ),
            **errors(400, 403, 429),
        },
        tags=["auth"],
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = TokenLoginSerializer(data=request.data, context={"request": request})
        try:
            serializer.is_valid(raise_exception=True)
        except serializers.ValidationError:
            if getattr(request, "axes_locked_out", False):
                return self._locked_out()
            raise
        user = serializer.validated_data["user"]
        otp = serializer.validated_data.get("otp", "")
        two_factor = has_two_factor(user)
        if two_factor:
            if not otp:
                return Response(
                    error_body(
                        "otp_required",
                        "该账号已启用两步验证：请在 otp 字段同时提交验证器上的 6 位动态验证码。",
                    ),
                    status=status.HTTP_400_BAD_REQUEST,
                )
            # Recovery codes are for the web page (a lost phone), not for scripts.
            if not (totp.looks_like_code(otp) and two_factor_check(user=user, code=otp).ok):
                user_login_failed.send(
                    sender=__name__, credentials={"username": user.get_username()}, request=request
                )
                if getattr(request, "axes_locked_out", False):
                    return self._locked_out()
                return Response(
                    error_body("otp_invalid", "动态验证码错误或已使用过。"),
                    status=status.HTTP_400_BAD_REQUEST,
                )
        elif two_factor_required(user):
            return Response(
                error_body(
                    "two_factor_enrolment_required",
                    "您的角色须使用两步验证：请先在网页上登录并完成绑定，再获取令牌。",
                ),
                status=status.HTTP_403_FORBIDDEN,
            )
        user_logged_in.send(sender=type(user), request=request, user=user)
        issued = token_issue(
            user=user,
            name=serializer.validated_data.get("name") or DEFAULT_TOKEN_NAME,
            two_factor=two_factor,
            actor=user,
            via="api",
        )
        expires = serializers.DateTimeField().to_representation(issued.token.expires_at)
        return Response({"token": issued.key, "name": issued.token.name, "expires_at": expires})

    @staticmethod
    def _locked_out() -> Response:
        return Response(
            error_body("locked_out", lockout_message()),
            status=int(getattr(settings, "AXES_HTTP_RESPONSE_CODE", 429)),
        )
