from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "heardback.api"
    label = "api"

    def ready(self) -> None:
        from heardback.api.idempotency import forget_old_answers
        from heardback.runtime.steps import register_step

        register_step(forget_old_answers, order=200)
