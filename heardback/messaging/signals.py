"""Notifications from the outbox to the apps above it (which may not be imported here)."""

from django.dispatch import Signal

# Sent when a message is given up on (a permanent failure or the retry cap). Arguments:
# message (the outbox row), detail (the server's reply or error).
message_failed = Signal()
