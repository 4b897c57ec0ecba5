from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "heardback.portal"
    label = "portal"
