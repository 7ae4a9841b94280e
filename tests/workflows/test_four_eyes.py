"""Four eyes by construction: whatever a family's workflow says, a version is
published only after a reviewer of its directorate and a Data Office manager, two
different people who did not prepare it, approved it; nobody approves two steps;
everyone who shaped the data under review is a preparer."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from wagtail.log_actions import LogContext
from wagtail.models import GroupApprovalTask, ModelLogEntry, Revision, WorkflowTask

from backoffice import roles
from backoffice.exceptions import ApplicationError, PermissionRefused
from datasets.models import DatasetVersion, FamilyWorkflow, MatchDecision
from publications.models import Release
from tests.factories.datasets import DatasetVersionFactory, MappingProfileFactory
from tests.factories.tasks import JobRunFactory
from tests.factories.users import UserFactory
from tests.factories.workflows import FourEyesApprovalTaskFactory
from workflows import services as review
from workflows.four_eyes import preparers_of
from workflows.models import FourEyesApprovalTask

pytestmark = pytest.mark.django_db


def _submitted(team: dict[str, Any], **kwargs: Any) -> DatasetVersion:
    declarant = team["inspection_declarant"]
    version = DatasetVersionFactory.create(upload__uploaded_by=declarant, **kwargs)
    review.version_submit(version=version, user=declarant)
    return DatasetVersion.objects.get(pk=version.pk)


def _human_steps_removed() -> None:
    """What a manager could do in Paramètres › Circuits de validation."""
    workflow = FamilyWorkflow.workflow_for("shortages")
    WorkflowTask.objects.filter(
        workflow=workflow, task__in=FourEyesApprovalTask.objects.all()
    ).delete()


def test_a_workflow_without_its_human_steps_publishes_nothing(
    team: dict[str, Any],
) -> None:
    _human_steps_removed()
    declarant = team["inspection_declarant"]
    version = DatasetVersionFactory.create(upload__uploaded_by=declarant)
    with pytest.raises(PermissionRefused, match="deux personnes différentes"):
        review.version_submit(version=version, user=declarant)
    version.refresh_from_db()
    assert version.live is False
    assert not Release.objects.filter(version=version).exists()


def test_a_plain_group_approval_step_decides_nothing(team: dict[str, Any]) -> None:
    """Wagtail's own group approval, added to a family's workflow, cannot take the
    place of a four-eyes step, even for one of its group."""
    workflow = FamilyWorkflow.workflow_for("shortages")
    _human_steps_removed()
    plain = GroupApprovalTask.objects.create(name="Approbation simple")
    plain.groups.add(*team["data_office"].groups.all())
    WorkflowTask.objects.create(workflow=workflow, task=plain, sort_order=5)
    version = _submitted(team)
    assert version.current_workflow_task_state.task.name == "Approbation simple"
    with pytest.raises(PermissionRefused):
        review.version_decide(
            version=version, user=team["data_office"], action="approve"
        )
    with pytest.raises(PermissionDenied):  # the ORM path is guarded too
        version.current_workflow_task_state.approve(user=team["data_office"])
    version.refresh_from_db()
    assert version.live is False


@pytest.mark.parametrize("who", ["one_person_in_two_groups", "superuser"])
def test_nobody_approves_two_steps_of_one_version(
    team: dict[str, Any], who: str
) -> None:
    both = UserFactory.create(
        username="both", groups=[roles.INSPECTION_REVIEWERS, roles.DATA_OFFICE]
    )
    if who == "superuser":
        both.is_superuser = True
        both.save(update_fields=["is_superuser"])
    version = _submitted(team)
    review.version_decide(version=version, user=both, action="approve")
    with pytest.raises(PermissionRefused, match="autre étape"):
        review.version_decide(version=version, user=both, action="approve")
    state = DatasetVersion.objects.get(pk=version.pk).current_workflow_task_state
    with pytest.raises(PermissionDenied):
        state.approve(user=both)
    assert state.task.specific.get_actions(version, both) == []
    # Another Data Office manager may, and the version is published.
    review.version_decide(version=version, user=team["data_office"], action="approve")
    version.refresh_from_db()
    assert version.live is True


def test_a_superuser_outside_the_steps_groups_reviews_nothing(
    team: dict[str, Any],
) -> None:
    version = _submitted(team)
    admin = team["administrator"]
    assert admin.is_superuser
    with pytest.raises(PermissionRefused):
        review.version_decide(version=version, user=admin, action="approve")
    state = version.current_workflow_task_state
    assert state.task.specific.get_actions(version, admin) == []


@pytest.mark.parametrize(
    "prepared_by", ["match_decision", "job", "mapping", "earlier_revision"]
)
def test_whoever_shaped_the_data_is_a_preparer(
    team: dict[str, Any], prepared_by: str
) -> None:
    reviewer = team["inspection_reviewer"]
    declarant = team["inspection_declarant"]
    extra: dict[str, Any] = {}
    if prepared_by == "mapping":
        extra["mapping"] = MappingProfileFactory.create(created_by=reviewer)
    version = DatasetVersionFactory.create(upload__uploaded_by=declarant, **extra)
    if prepared_by == "match_decision":
        MatchDecision.objects.create(
            version=version,
            label="produit maison",
            scope=MatchDecision.Scope.ALL,
            cis="60234100",
            decided_by=reviewer,
        )
    elif prepared_by == "job":
        JobRunFactory.create(
            kind="datasets.version_rematch",
            created_by=reviewer,
            target_type=ContentType.objects.get_for_model(DatasetVersion),
            target_id=str(version.pk),
        )
    elif prepared_by == "earlier_revision":
        version.save_revision(user=reviewer, clean=False)
        version.save_revision(user=declarant, clean=False)  # the last one is not his
    assert reviewer.pk in preparers_of(version)
    review.version_submit(version=version, user=declarant)
    with pytest.raises(PermissionRefused, match="une autre personne"):
        review.version_decide(version=version, user=reviewer, action="approve")
    # His colleague decides.
    review.version_decide(
        version=version, user=team["inspection_reviewer_2"], action="approve"
    )


def test_a_scheduled_publication_checks_four_eyes_again_when_it_comes_due(
    team: dict[str, Any], approve_both: Any
) -> None:
    version = _submitted(team)
    approve_both(version, publish_at=timezone.now() + timedelta(days=1))
    version.refresh_from_db()
    assert version.live is False
    # Before the date comes, the Data Office manager turns out to have prepared it
    # (a re-matching job he started): the due publication is refused.
    JobRunFactory.create(
        kind="datasets.version_rematch",
        created_by=team["data_office"],
        target_type=ContentType.objects.get_for_model(DatasetVersion),
        target_id=str(version.pk),
    )
    Revision.objects.filter(approved_go_live_at__isnull=False).update(
        approved_go_live_at=timezone.now() - timedelta(minutes=1)
    )
    assert review.publish_scheduled() == 0
    version.refresh_from_db()
    assert version.live is False
    assert not Release.objects.filter(version=version).exists()


def test_a_scheduled_publication_with_its_approvals_goes_live(
    team: dict[str, Any], approve_both: Any
) -> None:
    version = _submitted(team)
    approve_both(version, publish_at=timezone.now() + timedelta(days=1))
    Revision.objects.filter(approved_go_live_at__isnull=False).update(
        approved_go_live_at=timezone.now() - timedelta(minutes=1)
    )
    assert review.publish_scheduled() == 1
    version.refresh_from_db()
    assert version.live is True


def test_a_date_in_the_past_is_refused(team: dict[str, Any]) -> None:
    version = _submitted(team)
    review.version_decide(
        version=version, user=team["inspection_reviewer"], action="approve"
    )
    with pytest.raises(ApplicationError):
        review.version_decide(
            version=version,
            user=team["data_office"],
            action="approve",
            publish_at=timezone.now() - timedelta(days=1),
        )


def test_the_quality_gate_decision_is_logged_as_the_system(
    team: dict[str, Any],
) -> None:
    declarant = team["inspection_declarant"]
    version = DatasetVersionFactory.create(upload__uploaded_by=declarant)
    # As in a request: Wagtail's middleware makes the signed-in user the default.
    with LogContext(user=declarant):
        review.version_submit(version=version, user=declarant)
    entries = ModelLogEntry.objects.filter(
        object_id=str(version.pk), action="wagtail.workflow.approve"
    )
    gate = [e for e in entries if "Contrôle qualité" in str(e.data)]
    assert len(gate) == 1 and gate[0].user_id is None
    start = ModelLogEntry.objects.get(
        object_id=str(version.pk), action="wagtail.workflow.start"
    )
    assert start.user_id == declarant.pk and start.uuid == gate[0].uuid


def test_a_four_eyes_step_offers_its_actions_only_to_its_groups_non_preparers(
    team: dict[str, Any],
) -> None:
    step = FourEyesApprovalTaskFactory.create(
        groups=[Group.objects.get(name=roles.INSPECTION_REVIEWERS)]
    )
    version = DatasetVersionFactory.create(
        upload__uploaded_by=team["inspection_declarant"]
    )
    actions = [
        name
        for name, _label, _modal in step.get_actions(
            version, team["inspection_reviewer"]
        )
    ]
    assert actions == ["reject", "approve", "approve"]
    assert step.get_actions(version, team["data_office"]) == []  # not its group
    assert step.get_actions(version, team["inspection_declarant"]) == []  # preparer
