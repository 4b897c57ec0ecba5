"""The survey step now reads only applications with `survey_due_at` set (a decision sets
it). Decisions made before this migration, still inside the survey's look-back window and
not yet invited, are made due now, so nobody the old step would have asked is skipped; the
step itself checks every rule again (final message sent three days ago, opt-outs, once per
six months) and clears what does not apply."""

from datetime import timedelta
from typing import Any

from django.db import migrations
from django.db.models import Exists, OuterRef
from django.utils import timezone

FINISHED = ("declined", "hired", "withdrawn")
WINDOW = timedelta(days=3 + 30)  # the survey's delay after the final message + its look-back


def make_recent_decisions_due(apps: Any, schema_editor: Any) -> None:
    Application = apps.get_model("hiring", "Application")
    SurveyInvitation = apps.get_model("portal", "SurveyInvitation")
    now = timezone.now()
    Application.objects.filter(
        status__in=FINISHED, decided_at__gte=now - WINDOW, survey_due_at__isnull=True
    ).exclude(Exists(SurveyInvitation.objects.filter(application_id=OuterRef("pk")))).update(
        survey_due_at=now
    )


class Migration(migrations.Migration):
    dependencies = [
        ("hiring", "0003_application_survey_due_and_indexes"),
        ("portal", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(make_recent_decisions_due, migrations.RunPython.noop),
    ]
