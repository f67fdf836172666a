from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo city and its live imitation sites; uses every other app, none uses it."""

    name = "huiying.demo"
    label = "demo"
    verbose_name = "演示"
