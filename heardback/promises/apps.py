from django.apps import AppConfig


class PromisesConfig(AppConfig):
    name = "heardback.promises"
    label = "promises"

    def ready(self) -> None:
        from heardback.promises import closeout, watchdog
        from heardback.runtime.steps import register_step

        # Declines that are due go first, so the silence step never "updates" someone
        # already decided.
        register_step(watchdog.send_due_declines, order=10)
        register_step(closeout.run_close_outs, order=20)
        register_step(watchdog.remind_owners, order=30)
        register_step(watchdog.nudge_owners, order=40)
        register_step(watchdog.update_candidates, order=50)
        register_step(watchdog.keep_silence, order=60)
