from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo city and its live imitation sites; uses every other app, none uses it."""

    name = "huiying.demo"
    label = "demo"
    verbose_name = _("演示")
