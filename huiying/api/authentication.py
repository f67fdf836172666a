"""``Authorization: Token <key>``, checked against the stored digest (huiying/accounts/tokens.py).

The header and the 401 answers are DRF's TokenAuthentication's; only the lookup differs: the
key is hashed and found by its digest, and the token must be live (not revoked, not expired,
issued after the owner's last password change), its owner active, and, when the owner's role
requires two-factor sign-in, issued after a one-time code.
"""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from huiying.accounts.tokens import state_of, token_for_key, token_touch
from huiying.accounts.twofactor import two_factor_required

REFUSALS = {
    "revoked": "认证令牌已被吊销。",
    "expired": "认证令牌已过期，请重新获取。",
    "password": "密码已修改，原有令牌已失效，请重新获取。",
}


class HashedTokenAuthentication(TokenAuthentication):
    keyword = "Token"

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        token = token_for_key(key)
        if token is None:
            raise exceptions.AuthenticationFailed("认证令牌无效。")
        state = state_of(token)
        if state != "live":
            raise exceptions.AuthenticationFailed(REFUSALS[state])
        user = token.user
        if not user.is_active:
            raise exceptions.AuthenticationFailed("用户未激活或者已删除。")
        if not token.two_factor and two_factor_required(user):
            raise exceptions.AuthenticationFailed(
                "您的角色须使用两步验证：请提交动态验证码重新获取令牌。"
            )
        token_touch(token)
        return user, token
