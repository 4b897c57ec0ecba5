from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Commands that run and look after the whole system (run, demo, bench)."""

    name = "heardback.ops"
    label = "ops"
    verbose_name = "Operations"
