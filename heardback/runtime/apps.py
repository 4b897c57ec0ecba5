from django.apps import AppConfig


class RuntimeConfig(AppConfig):
    name = "heardback.runtime"
    label = "runtime"
