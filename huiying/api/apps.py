from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "huiying.api"
    label = "api"
