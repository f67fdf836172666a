"""django-axes (the login lock-out) under Chinese names in the admin.

Axes gives its app no verbose name, so the admin would show "Axes"; Django's way to rename a
third-party app is a subclass of its AppConfig named in INSTALLED_APPS. Its models' and
admin's words are translated in huiying/locale (axes ships no Chinese catalog). Its records
describe themselves in English ("Access Log for admin @ ..."), and the admin puts that in
titles, breadcrumbs and messages: ready() gives them Chinese descriptions.
"""

from __future__ import annotations

from typing import Any

from axes.apps import AppConfig
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


def _when(record: Any) -> str:
    if record.attempt_time is None:
        return ""
    return f"{timezone.localtime(record.attempt_time):%Y-%m-%d %H:%M:%S}"


def _attempt_str(record: Any) -> str:
    return gettext("%(username)s 的登录失败累计（%(ip)s）") % {
        "username": record.username,
        "ip": record.ip_address,
    }


def _failure_str(record: Any) -> str:
    text = gettext("%(username)s 登录失败 %(when)s（%(ip)s）") % {
        "username": record.username,
        "when": _when(record),
        "ip": record.ip_address,
    }
    return text + gettext("，已锁定") if record.locked_out else text


def _access_str(record: Any) -> str:
    return gettext("%(username)s 的登录 %(when)s") % {
        "username": record.username,
        "when": _when(record),
    }


class AxesConfig(AppConfig):
    verbose_name = _("登录保护")

    def ready(self) -> None:
        super().ready()
        from axes.models import AccessAttempt, AccessFailureLog, AccessLog

        for model, describe in (
            (AccessAttempt, _attempt_str),
            (AccessFailureLog, _failure_str),
            (AccessLog, _access_str),
        ):
            setattr(model, "__str__", describe)  # noqa: B010
