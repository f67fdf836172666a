from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommonConfig(AppConfig):
    name = "huiying.common"
    label = "common"
    verbose_name = _("公共（审计与工作日历）")

    def ready(self) -> None:
        # Edits of holidays in the admin must reach the cached deadline calendar at once.
        from huiying.common.workcalendar import connect_signals

        connect_signals()
