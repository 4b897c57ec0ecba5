from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "heardback.api"
    label = "api"
