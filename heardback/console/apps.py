from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "heardback.console"
    label = "console"

    def ready(self) -> None:
        from heardback.console import bulk, problems
        from heardback.runtime.steps import register_step

        register_step(bulk.run_bulk_actions, order=70)
        register_step(problems.send_problem_digests, order=95)
