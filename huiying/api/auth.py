"""``POST /api/v1/auth/token/``: a token for username and password, under the same lock-out.

DRF's ``ObtainAuthToken`` hands its own ``Request`` wrapper to ``authenticate``. django-axes
then counts the failure (its backend and signal handler read the address through the
wrapper) and marks the *wrapper* as locked out, which ``AxesMiddleware`` never sees; without
the check below a locked-out caller would only get DRF's generic "unable to log in". Here the
lock-out is reported as such: 429 with ``error: "locked_out"``, in the API's error shape.

``ObtainAuthToken`` also never calls ``login()``, so ``user_logged_in`` is not sent and axes
would never reset the failure count after a success (AXES_RESET_ON_SUCCESS); the view sends it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.request import Request
from rest_framework.response import Response

from huiying.api.errors import error_body
from huiying.api.schema import errors
from huiying.api.views import ChineseMixin


def lockout_message() -> str:
    minutes = round(float(settings.AXES_COOLOFF_TIME) * 60)
    return f"登录失败次数过多，账号已被暂时锁定，请 {minutes} 分钟后再试。"


class ChineseAuthTokenSerializer(AuthTokenSerializer):
    """DRF's serializer, answering in the API's words."""

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        try:
            return super().validate(attrs)
        except serializers.ValidationError as exc:
            raise serializers.ValidationError("用户名或密码错误。", code="authorization") from exc


class TokenView(ChineseMixin, ObtainAuthToken):
    serializer_class = ChineseAuthTokenSerializer
    permission_classes = ()
    authentication_classes = ()

    @extend_schema(
        summary="用用户名和密码换取令牌",
        description="之后每个请求带上请求头 `Authorization: Token <token>`。"
        "连续登录失败达到上限会暂时锁定（与网页登录相同）。",
        request=ChineseAuthTokenSerializer,
        responses={
            200: inline_serializer("TokenResponse", {"token": serializers.CharField()}),
            **errors(400, 429),
        },
        tags=["auth"],
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        try:
            serializer.is_valid(raise_exception=True)
        except serializers.ValidationError:
            if getattr(request, "axes_locked_out", False):
                return self._locked_out()
            raise
        user = serializer.validated_data["user"]
        # A token is a login: axes resets the failure count (AXES_RESET_ON_SUCCESS) and logs
        # the access, Django stamps last_login, exactly as for the login page.
        user_logged_in.send(sender=type(user), request=request, user=user)
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})

    @staticmethod
    def _locked_out() -> Response:
        return Response(
            error_body("locked_out", lockout_message()),
            status=int(getattr(settings, "AXES_HTTP_RESPONSE_CODE", 429)),
        )
