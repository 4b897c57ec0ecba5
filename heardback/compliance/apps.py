from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "heardback.compliance"
    label = "compliance"

    def ready(self) -> None:
        from heardback.compliance import watchdog
        from heardback.runtime.steps import register_step

        # After held declines and close-outs (order 10, 20), so a decision made this round
        # is recorded before anyone is told "no decision yet".
        register_step(watchdog.keep_answer_duties, order=25)
