"""Editing review workflows and their steps becomes an administrator's act: the
Data Office group loses the Wagtail permissions that let it remove the steps
standing between a preparer and a publication."""

from typing import Any

from django.db import migrations

WORKFLOW_CODENAMES = (
    "add_workflow",
    "change_workflow",
    "delete_workflow",
    "add_task",
    "change_task",
    "delete_task",
)


def revoke(apps: Any, schema_editor: Any) -> None:
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    permissions = permission_model.objects.filter(
        content_type__app_label="wagtailcore", codename__in=WORKFLOW_CODENAMES
    )
    for group in group_model.objects.exclude(name="Administrateurs"):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [("backoffice", "0005_release_roles")]

    operations = [migrations.RunPython(revoke, migrations.RunPython.noop)]
