from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "heardback.messaging"
    label = "messaging"
    verbose_name = "Messaging"
