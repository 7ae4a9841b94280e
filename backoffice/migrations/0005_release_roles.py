"""Grant the releases' permissions to the roles (idempotent)."""

from django.db import migrations

from backoffice.roles import apply_roles


class Migration(migrations.Migration):
    dependencies = [
        ("backoffice", "0004_review_roles"),
        ("publications", "0001_releases"),
    ]

    operations = [migrations.RunPython(apply_roles, migrations.RunPython.noop)]
