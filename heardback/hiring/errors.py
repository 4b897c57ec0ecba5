from django.core.exceptions import ValidationError


class HiringError(ValidationError):
    """A request the hiring rules refuse, with a message meant for the person who made it."""


class NotActive(HiringError):
    pass
