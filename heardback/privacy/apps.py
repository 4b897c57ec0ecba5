from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "heardback.privacy"
    label = "privacy"

    def ready(self) -> None:
        from heardback.privacy import retention
        from heardback.runtime.steps import register_step

        # Late in the round: nothing a candidate is waiting for depends on it.
        register_step(retention.anonymise_expired, order=210)
        register_step(retention.scrub_sent_confirmations, order=211)

        from heardback.portal.forms import register_retention_lookup
        from heardback.privacy.services import retention_terms

        # The apply form's consent text states this org's policy (portal sits below us).
        register_retention_lookup(retention_terms)
