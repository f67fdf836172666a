from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "huiying.orgs"
    label = "orgs"
