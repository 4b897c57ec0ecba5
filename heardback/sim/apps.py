from django.apps import AppConfig


class SimConfig(AppConfig):
    name = "heardback.sim"
    label = "sim"
