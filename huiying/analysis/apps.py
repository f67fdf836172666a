from django.apps import AppConfig


class AnalysisConfig(AppConfig):
    name = "huiying.analysis"
    label = "analysis"
    verbose_name = "研判"
