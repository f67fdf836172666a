from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    name = "huiying.supervision"
    label = "supervision"
    verbose_name = _("催办督办")
    default_auto_field = "django.db.models.BigAutoField"
