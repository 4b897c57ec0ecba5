# Seekers confirm their address before anything is emailed to it. Existing profiles start
# unconfirmed: nobody ever proved those addresses were theirs.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("seeker", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="seekerprofile",
            name="email_confirmed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="seekerprofile",
            name="email_token_hash",
            field=models.CharField(blank=True, max_length=64, null=True, unique=True),
        ),
        migrations.AddField(
            model_name="seekerprofile",
            name="email_token_sent_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
