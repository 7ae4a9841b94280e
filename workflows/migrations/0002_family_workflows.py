"""One review workflow per data family (DESIGN.md §2): automatic quality gate,
the owning directorate's review, the Data Office's approval. Idempotent; the
workflows stay editable in Wagtail's workflow admin afterwards."""

from django.db import migrations

GATE = "Contrôle qualité automatique"
DATA_OFFICE = "Data Office – gestionnaires"
REVIEWS = {
    "Inspection – relecteurs": "Relecture – Inspection",
    "Surveillance – relecteurs": "Relecture – Surveillance",
}
APPROVAL = "Approbation – Data Office"
FAMILIES = (
    ("shortages", "Validation – Ruptures de stock", "Inspection – relecteurs"),
    ("pharmacovigilance", "Validation – Pharmacovigilance", "Surveillance – relecteurs"),
    ("medication_errors", "Validation – Erreurs médicamenteuses", "Surveillance – relecteurs"),
)


def create_workflows(apps, schema_editor):
    content_type = apps.get_model("contenttypes", "ContentType")
    group_model = apps.get_model("auth", "Group")
    workflow_model = apps.get_model("wagtailcore", "Workflow")
    workflow_task_model = apps.get_model("wagtailcore", "WorkflowTask")
    gate_model = apps.get_model("workflows", "QualityGateTask")
    approval_model = apps.get_model("workflows", "FourEyesApprovalTask")
    family_model = apps.get_model("workflows", "FamilyWorkflow")

    def type_of(model_name):
        return content_type.objects.get_or_create(
            app_label="workflows", model=model_name
        )[0]

    def approval(name, group_name):
        task = approval_model.objects.filter(name=name).first()
        if task is None:
            task = approval_model.objects.create(
                name=name, active=True, content_type=type_of("foureyesapprovaltask")
            )
        group, _created = group_model.objects.get_or_create(name=group_name)
        task.groups.add(group)
        return task

    gate = gate_model.objects.filter(name=GATE).first()
    if gate is None:
        gate = gate_model.objects.create(
            name=GATE, active=True, content_type=type_of("qualitygatetask")
        )
    final = approval(APPROVAL, DATA_OFFICE)
    for family, title, reviewers in FAMILIES:
        if family_model.objects.filter(family=family).exists():
            continue
        workflow = workflow_model.objects.create(name=title, active=True)
        review = approval(REVIEWS[reviewers], reviewers)
        for order, task in enumerate((gate, review, final)):
            workflow_task_model.objects.create(
                workflow=workflow, task_id=task.pk, sort_order=order
            )
        family_model.objects.create(family=family, workflow=workflow)


class Migration(migrations.Migration):
    dependencies = [
        ("workflows", "0001_initial"),
        ("backoffice", "0003_dataset_roles"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_workflows, migrations.RunPython.noop)]
