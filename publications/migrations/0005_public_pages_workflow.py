"""Visualisation pages go through a review: another Data Office manager approves
them (four eyes). Editable in Wagtail's workflow admin afterwards."""

from django.db import migrations

TASK = "Approbation des pages publiques – Data Office"
WORKFLOW = "Validation – Pages publiques"
DATA_OFFICE = "Data Office – gestionnaires"


def create_workflow(apps, schema_editor):
    content_type = apps.get_model("contenttypes", "ContentType")
    group_model = apps.get_model("auth", "Group")
    workflow_model = apps.get_model("wagtailcore", "Workflow")
    workflow_task_model = apps.get_model("wagtailcore", "WorkflowTask")
    workflow_page_model = apps.get_model("wagtailcore", "WorkflowPage")
    task_model = apps.get_model("workflows", "FourEyesApprovalTask")
    portal_model = apps.get_model("publications", "PortalPage")
    portal = portal_model.objects.first()
    if portal is None or workflow_model.objects.filter(name=WORKFLOW).exists():
        return
    task = task_model.objects.create(
        name=TASK,
        active=True,
        content_type=content_type.objects.get_or_create(
            app_label="workflows", model="foureyesapprovaltask"
        )[0],
    )
    group, _created = group_model.objects.get_or_create(name=DATA_OFFICE)
    task.groups.add(group)
    workflow = workflow_model.objects.create(name=WORKFLOW, active=True)
    workflow_task_model.objects.create(workflow=workflow, task_id=task.pk, sort_order=0)
    workflow_page_model.objects.update_or_create(
        page_id=portal.pk, defaults={"workflow": workflow}
    )


class Migration(migrations.Migration):
    dependencies = [
        ("publications", "0004_visualisation_page"),
        ("workflows", "0002_family_workflows"),
        ("wagtailcore", "0098_apitoken"),
    ]

    operations = [migrations.RunPython(create_workflow, migrations.RunPython.noop)]
