from django.apps import AppConfig


class HiringConfig(AppConfig):
    name = "heardback.hiring"
    label = "hiring"
    verbose_name = "Hiring"

    def ready(self) -> None:
        from heardback.hiring import reachability
        from heardback.messaging.signals import message_failed

        message_failed.connect(reachability.on_message_failed, dispatch_uid="hiring-unreachable")
