from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "heardback.console"
    label = "console"
