from django.apps import AppConfig


class SeekerConfig(AppConfig):
    name = "heardback.seeker"
    label = "seeker"

    def ready(self) -> None:
        from heardback.runtime.steps import register_step
        from heardback.seeker import digest, imap, refresh

        register_step(digest.send_daily_digests, order=90)
        # It reads other servers' pages: the network loop, never the engine.
        register_step(refresh.refresh_employer_statuses, order=10, loop="network")
        # A seeker's mailbox is another server too.
        register_step(imap.poll_mailboxes, order=20, loop="network")
