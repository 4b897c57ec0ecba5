from django.apps import AppConfig


class SeekerConfig(AppConfig):
    name = "heardback.seeker"
    label = "seeker"
