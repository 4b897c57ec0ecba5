"""Signed outbound webhooks: an employer's systems hear what happened, as it happens.

A face on top of the engine, like the console and the API: it reads the rows that hiring,
messaging and the engine already write in each change's own transaction (events, messages,
delivery events, close-outs) and never calls their services. Both of its steps call other
servers or feed those that do, so both run in the network loop (`heardback netloop`), never
in the engine's scheduler: an endpoint that hangs delays no one's promise.
"""

from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "heardback.webhooks"
    label = "webhooks"

    def ready(self) -> None:
        from heardback.runtime.steps import register_step
        from heardback.webhooks import delivery, fanout

        register_step(fanout.fan_out_webhooks, order=20, loop="network")
        register_step(delivery.deliver_webhooks, order=30, loop="network")
