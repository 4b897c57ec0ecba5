from django.apps import AppConfig


class DevmailConfig(AppConfig):
    name = "heardback.devmail"
    label = "devmail"
    verbose_name = "Development mailbox"
