"""The review workflow of each data family (DESIGN.md §2): automatic quality gate,
the owning directorate's review, the Data Office's approval.

``family_workflows_ensure`` is used by the data migration (with its historical
app registry) and works with the live one too; it only adds what is missing, so
that workflows edited in Wagtail's admin are kept.
"""

from __future__ import annotations

from typing import Any

GATE = "Contrôle qualité automatique"
DATA_OFFICE = "Data Office – gestionnaires"
REVIEWS = {
    "Inspection – relecteurs": "Relecture – Inspection",
    "Surveillance – relecteurs": "Relecture – Surveillance",
}
APPROVAL = "Approbation – Data Office"
FAMILIES = (
    ("shortages", "Validation – Ruptures de stock", "Inspection – relecteurs"),
    (
        "pharmacovigilance",
        "Validation – Pharmacovigilance",
        "Surveillance – relecteurs",
    ),
    (
        "medication_errors",
        "Validation – Erreurs médicamenteuses",
        "Surveillance – relecteurs",
    ),
)


def family_workflows_ensure(apps: Any, schema_editor: Any = None) -> None:
    """Create the gate, the review steps and one workflow per family (idempotent)."""
    content_type = apps.get_model("contenttypes", "ContentType")
    group_model = apps.get_model("auth", "Group")
    workflow_model = apps.get_model("wagtailcore", "Workflow")
    workflow_task_model = apps.get_model("wagtailcore", "WorkflowTask")
    gate_model = apps.get_model("workflows", "QualityGateTask")
    approval_model = apps.get_model("workflows", "FourEyesApprovalTask")
    try:
        family_model = apps.get_model("datasets", "FamilyWorkflow")
    except LookupError:  # the state of workflows 0002, before the model moved
        family_model = apps.get_model("workflows", "FamilyWorkflow")

    def type_of(model_name: str) -> Any:
        return content_type.objects.get_or_create(
            app_label="workflows", model=model_name
        )[0]

    def approval(name: str, group_name: str) -> Any:
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
