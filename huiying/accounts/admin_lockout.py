"""django-axes' failed-login counters in the admin, with Chinese column names.

Axes' own admin names two columns after its methods ("Status", "Expiration") and reports a
clean-up in an English sentence; this subclass replaces only those. The rest of axes' words
are translated in huiying/locale, and its records' own names in huiying/accounts/axes_app.py.
"""

from __future__ import annotations

from typing import Any

from axes.admin import AccessAttemptAdmin
from axes.conf import settings as axes_settings
from axes.models import AccessAttempt
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

if admin.site.is_registered(AccessAttempt):
    admin.site.unregister(AccessAttempt)


@admin.register(AccessAttempt)
class LockoutAttemptAdmin(AccessAttemptAdmin):
    @admin.display(description=_("过期时间"))
    def expiration(self, obj: AccessAttempt) -> Any:
        return obj.expiration.expires_at if hasattr(obj, "expiration") else _("未设置")

    @admin.display(description=_("状态"))
    def status(self, obj: AccessAttempt) -> str:
        left = int(axes_settings.AXES_FAILURE_LIMIT) - obj.failures_since_start
        if left > 0:
            return str(_("还可尝试 %(left)d 次") % {"left": left})
        return str(_("已锁定"))

    @admin.action(description=_("清理已过期的失败累计"))
    def cleanup_expired_attempts(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        count = self.handler.clean_expired_user_attempts(request=request)
        self.message_user(request, _("已清理 %(count)d 条过期的失败累计。") % {"count": count})
