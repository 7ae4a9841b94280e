"""``FamilyWorkflow`` now belongs to datasets (see datasets 0004): this app's
state lets go of it; the table is kept."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("workflows", "0002_family_workflows"),
        ("datasets", "0004_familyworkflow"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="FamilyWorkflow")],
            database_operations=[],
        ),
    ]
