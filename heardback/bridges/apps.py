from django.apps import AppConfig


class BridgesConfig(AppConfig):
    name = "heardback.bridges"
    label = "bridges"

    def ready(self) -> None:
        from heardback.bridges.housekeeping import forget_old_event_bodies
        from heardback.bridges.processing import newest_inbound_event, process_inbound_events
        from heardback.bridges.reconcile import fetch_lever_details, reconcile_connections
        from heardback.runtime.steps import register_step

        # After declines and before the watchdog, so a reject that just arrived is honoured
        # before anyone is nudged about it.
        # An ATS's news is acted on about a second after it arrives, not at the next round.
        register_step(process_inbound_events, order=15, wake_on=newest_inbound_event)
        # The network loop: what a Lever webhook left out is fetched early in the round (a
        # candidate's news waits on it); the reconcile's bulk reading comes last.
        register_step(fetch_lever_details, order=25, loop="network")
        register_step(reconcile_connections, order=50, loop="network")
        # Housekeeping, after everything a candidate waits on.
        register_step(forget_old_event_bodies, order=212)
