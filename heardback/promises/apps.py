from django.apps import AppConfig


class PromisesConfig(AppConfig):
    name = "heardback.promises"
    label = "promises"
