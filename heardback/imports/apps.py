from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "heardback.imports"
    label = "imports"

    def ready(self) -> None:
        from heardback.imports import steps
        from heardback.runtime.steps import register_step

        register_step(steps.run_imports, order=75)
