from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "huiying.accounts"
    label = "accounts"
