from __future__ import annotations

from typing import Any

from django.contrib.auth.views import LoginView as DjangoLoginView

from huiying.accounts.lockout import cooloff_minutes, failure_limit


class LoginView(DjangoLoginView):
    """The sign-in page; it states the lock-out rule up front (axes enforces it)."""

    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(**kwargs) | {
            "failure_limit": failure_limit(),
            "cooloff_minutes": cooloff_minutes(),
        }
