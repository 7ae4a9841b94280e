"""Grant the review permissions (delete of never-submitted drafts) to the roles."""

from django.db import migrations

from backoffice.roles import apply_roles


class Migration(migrations.Migration):
    dependencies = [
        ("backoffice", "0003_dataset_roles"),
        ("datasets", "0003_version_review"),
        ("workflows", "0001_initial"),
    ]

    operations = [migrations.RunPython(apply_roles, migrations.RunPython.noop)]
