from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "heardback.web"
    label = "web"

    def ready(self) -> None:
        from heardback.web import checks, logs  # noqa: F401 (checks: registered on import)

        # Loggers that write request paths get the redaction filter on the logger itself,
        # so it applies whatever handlers gunicorn or runserver attach to them.
        logs.install()
