"""``/api/v1/auth/tokens/``: a person lists his own API tokens and revokes them.

No token is ever shown again (only its prefix), and none is created here: a token comes from
``auth/token/`` (password and, where enrolled, a one-time code) or from the web page, so a
stolen token cannot mint others that outlive it.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from huiying.accounts.models import ApiToken
from huiying.accounts.tokens import own_token, state_of, token_revoke, tokens_of
from huiying.api.schema import errors
from huiying.api.views import ChineseMixin

STATE_LABELS = {
    "live": "有效",
    "expired": "已过期",
    "revoked": "已吊销",
    "password": "密码已修改，已失效",
}


class ApiTokenSerializer(serializers.ModelSerializer[ApiToken]):
    state = serializers.SerializerMethodField(help_text="live / expired / revoked / password")
    state_label = serializers.SerializerMethodField()
    current = serializers.SerializerMethodField(help_text="是否为本次请求所用的令牌")
    # Blank until revoked: null then, never an empty string outside the declared choices.
    revoked_reason = serializers.SerializerMethodField(
        help_text="owner / admin / password / limit；未吊销时为 null"
    )

    class Meta:
        model = ApiToken
        fields = (
            "id",
            "name",
            "prefix",
            "created_at",
            "expires_at",
            "last_used_at",
            "revoked_at",
            "revoked_reason",
            "state",
            "state_label",
            "current",
        )
        read_only_fields = fields

    def get_state(self, token: ApiToken) -> str:
        return state_of(token)

    def get_state_label(self, token: ApiToken) -> str:
        return STATE_LABELS[state_of(token)]

    def get_revoked_reason(self, token: ApiToken) -> str | None:
        return token.revoked_reason or None

    def get_current(self, token: ApiToken) -> bool:
        used = self.context["request"].auth
        return isinstance(used, ApiToken) and used.pk == token.pk


class TokenListView(ChineseMixin, APIView):
    @extend_schema(
        summary="我的接口令牌",
        description="本人的令牌（最近 50 个，含已失效的），只显示前缀，不显示令牌本身。",
        responses={200: ApiTokenSerializer(many=True), **errors(401)},
        tags=["auth"],
    )
    def get(self, request: Request) -> Response:
        tokens = tokens_of(request.user)
        return Response(ApiTokenSerializer(tokens, many=True, context={"request": request}).data)


class TokenDetailView(ChineseMixin, APIView):
    @extend_schema(
        summary="吊销本人的一个令牌",
        description="立即失效；已吊销的再次吊销也返回 204。别人的令牌视为不存在（404）。",
        responses={204: None, **errors(401, 404)},
        tags=["auth"],
    )
    def delete(self, request: Request, pk: int) -> Response:
        token = own_token(request.user, pk)
        if token is None:
            return Response(
                {"error": "not_found", "message": "没有这个令牌。"},
                status=status.HTTP_404_NOT_FOUND,
            )
        token_revoke(token=token, actor=request.user, reason=ApiToken.Reason.OWNER)
        return Response(status=status.HTTP_204_NO_CONTENT)
