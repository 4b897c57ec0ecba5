"""The background machinery every app stands on: the step registry, fault isolation, heartbeats.

A ground-level app (like clock and messaging): it imports no other Heardback app. Apps
register their own scheduler steps in their `AppConfig.ready()`; the scheduler runs them
one item at a time, so one org's failing item never stops another org's promises.
"""
