"""One review workflow per data family, editable in Wagtail's workflow admin
afterwards (see ``workflows.definitions``)."""

from django.db import migrations

from workflows.definitions import family_workflows_ensure


class Migration(migrations.Migration):
    dependencies = [
        ("workflows", "0001_initial"),
        ("backoffice", "0003_dataset_roles"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(family_workflows_ensure, migrations.RunPython.noop)]
