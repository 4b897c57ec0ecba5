from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "heardback.portal"
    label = "portal"

    def ready(self) -> None:
        from heardback.portal import logging as portal_logging

        portal_logging.install()
