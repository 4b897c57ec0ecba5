"""A delivery keeps its body as the exact text sent and signed, instead of a JSON value the
database may re-order: every attempt and replay sends the same bytes, with no re-encoding."""

import json

from django.db import migrations, models


def payload_to_body(apps, schema_editor):
    WebhookDelivery = apps.get_model("webhooks", "WebhookDelivery")
    for delivery in WebhookDelivery.objects.only("id", "payload").iterator():
        payload = delivery.payload or {}
        ordered = {key: payload.get(key) for key in ("type", "timestamp", "data")}
        delivery.body = json.dumps(ordered, ensure_ascii=False, separators=(",", ":"))
        delivery.save(update_fields=["body"])


class Migration(migrations.Migration):
    dependencies = [("webhooks", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="webhookdelivery",
            name="body",
            field=models.TextField(
                default="",
                help_text='The JSON body ({"type", "timestamp", "data"}), exactly as sent and signed',
            ),
            preserve_default=False,
        ),
        migrations.RunPython(payload_to_body, migrations.RunPython.noop),
        migrations.RemoveField(model_name="webhookdelivery", name="payload"),
    ]
