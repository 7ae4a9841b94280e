"""Grant the referential's permissions to the roles (idempotent)."""

from django.db import migrations

from backoffice.roles import apply_roles


class Migration(migrations.Migration):
    dependencies = [
        ("backoffice", "0001_roles"),
        ("referential_admin", "0001_initial"),
    ]

    operations = [migrations.RunPython(apply_roles, migrations.RunPython.noop)]
