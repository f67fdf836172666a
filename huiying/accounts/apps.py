from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "huiying.accounts"
    label = "accounts"
    verbose_name = _("账号")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        user_logged_in.connect(_stamp_new_session, dispatch_uid="huiying_session_stamp")


def _stamp_new_session(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    from django.contrib.auth import SESSION_KEY

    from huiying.accounts.middleware import stamp_session

    # The API's token login also sends user_logged_in (for django-axes) but opens no session.
    session = getattr(request, "session", None)
    if session is not None and session.get(SESSION_KEY):
        stamp_session(request)
