from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkerConfig(AppConfig):
    """Every schedule of the background worker, in one place (``tasks.py``).

    Like ``demo`` it may use every app; no app uses it.
    """

    name = "huiying.worker"
    label = "worker"
    verbose_name = _("后台任务")
