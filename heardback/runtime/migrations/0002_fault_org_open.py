from django.db import migrations

# The console's banner asks, on every page, for one org's open faults, most recent first.
# Resolved faults are kept (they are the history) and would otherwise be read each time.
# A partial index is the same SQL on SQLite and PostgreSQL. It lives here only, not in
# Fault.Meta (state_operations=[]); to declare it on the model later, replace this with a
# SeparateDatabaseAndState whose state adds an Index of the same name.


class Migration(migrations.Migration):

    dependencies = [
        ("runtime", "0001_initial"),
    ]

    operations = [
        migrations.RunSQL(
            sql=(
                "CREATE INDEX fault_org_open ON runtime_fault (org_id, last_failed_at) "
                "WHERE resolved_at IS NULL"
            ),
            reverse_sql="DROP INDEX fault_org_open",
            state_operations=[],
        ),
    ]
