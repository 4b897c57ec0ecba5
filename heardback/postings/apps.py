from django.apps import AppConfig


class PostingsConfig(AppConfig):
    name = "heardback.postings"
    label = "postings"

    def ready(self) -> None:
        from heardback.postings.services import take_down_closed
        from heardback.runtime.steps import register_step

        register_step(take_down_closed, order=205)
