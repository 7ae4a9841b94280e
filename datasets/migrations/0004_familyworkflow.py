"""``FamilyWorkflow`` moves from the workflows app to datasets (the apps depend
downward only: a version asks its family's workflow without importing the app
above). The table stays ``workflows_familyworkflow``: only Django's state moves,
with the model's content type."""

import django.db.models.deletion
from django.db import migrations, models


def move_content_type(apps, schema_editor):
    content_type = apps.get_model("contenttypes", "ContentType")
    if not content_type.objects.filter(
        app_label="datasets", model="familyworkflow"
    ).exists():
        content_type.objects.filter(
            app_label="workflows", model="familyworkflow"
        ).update(app_label="datasets")


def restore_content_type(apps, schema_editor):
    apps.get_model("contenttypes", "ContentType").objects.filter(
        app_label="datasets", model="familyworkflow"
    ).update(app_label="workflows")


class Migration(migrations.Migration):
    dependencies = [
        ("datasets", "0003_version_review"),
        ("workflows", "0002_family_workflows"),
        ("wagtailcore", "0098_apitoken"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="FamilyWorkflow",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "family",
                            models.CharField(
                                max_length=40, unique=True, verbose_name="data family"
                            ),
                        ),
                        (
                            "workflow",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="datamed_families",
                                to="wagtailcore.workflow",
                                verbose_name="workflow",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "family workflow",
                        "verbose_name_plural": "family workflows",
                        "ordering": ["family"],
                        "db_table": "workflows_familyworkflow",
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_type, restore_content_type),
    ]
