from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "heardback.portal"
    label = "portal"

    def ready(self) -> None:
        from heardback.messaging.links import register_minter
        from heardback.portal import logging as portal_logging
        from heardback.portal.tokens import mint_tokens

        portal_logging.install()
        # The delivery worker mints each candidate's link as it sends (messaging sits
        # below the portal, so the portal hands it the minter).
        register_minter(mint_tokens)

        from heardback.portal import survey
        from heardback.runtime.steps import register_step

        register_step(survey.send_survey_invitations, order=80)

        from heardback.portal.forms import apply_questions
        from heardback.postings.services import register_questions

        # A posting's snapshot keeps the questions the apply form asks, and the publish
        # check reads them (postings sits below the portal, so the portal hands them over).
        register_questions(apply_questions)
