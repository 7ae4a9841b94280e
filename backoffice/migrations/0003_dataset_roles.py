"""Grant the datasets' permissions to the roles (idempotent)."""

from django.db import migrations

from backoffice.roles import apply_roles


class Migration(migrations.Migration):
    dependencies = [
        ("backoffice", "0002_referential_roles"),
        ("datasets", "0001_initial"),
    ]

    operations = [migrations.RunPython(apply_roles, migrations.RunPython.noop)]
