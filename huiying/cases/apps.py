from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "huiying.cases"
    label = "cases"
