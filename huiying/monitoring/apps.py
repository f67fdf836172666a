from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "huiying.monitoring"
    label = "monitoring"
