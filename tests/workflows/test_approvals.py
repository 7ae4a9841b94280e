"""Four eyes on approvals: the uploader, a superuser uploader and the author of the
latest change never approve, by the service, the task, the ORM or the screens; a
stale page and two reviewers at once produce one effect."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.db import OperationalError, connection
from django.urls import reverse
from wagtail.models import ModelLogEntry, TaskState

from backoffice.exceptions import ApplicationError, PermissionRefused
from datasets import services
from datasets.models import DatasetVersion
from tests.factories.clients import login
from tests.factories.datasets import DatasetVersionFactory
from tests.factories.extracts import UNMATCHED_ROWS, ingest, step
from workflows import services as review
from workflows.models import FourEyesRefused

pytestmark = pytest.mark.django_db


def test_the_uploader_cannot_approve_through_the_service_the_task_or_the_orm(
    in_review: DatasetVersion, team: dict[str, Any]
) -> None:
    # Even a reviewer who uploaded the version: make the declarant a reviewer too.
    uploader = team["inspection_declarant"]
    uploader.groups.add(*team["inspection_reviewer"].groups.all())
    uploader = type(uploader).objects.get(pk=uploader.pk)
    with pytest.raises(PermissionRefused, match="une autre personne"):
        review.version_decide(version=in_review, user=uploader, action="approve")
    task_state = in_review.current_workflow_task_state
    assert task_state.task.specific.get_actions(in_review, uploader) == []
    with pytest.raises(FourEyesRefused):
        task_state.approve(user=uploader)
    # The base class bypasses the specific one: the pre-save guard still refuses.
    plain = TaskState.objects.get(pk=task_state.pk)
    assert type(plain) is TaskState
    with pytest.raises(FourEyesRefused):
        plain.approve(user=uploader)
    plain = TaskState.objects.get(pk=task_state.pk)
    with pytest.raises(FourEyesRefused):
        plain.reject(user=uploader, comment="non")
    assert step(in_review) == "in_progress:Relecture – Inspection"


def test_a_superuser_who_uploaded_cannot_approve_either(team: dict[str, Any]) -> None:
    admin = team["administrator"]
    version = DatasetVersionFactory.create(upload__uploaded_by=admin)
    review.version_submit(version=version, user=admin)
    with pytest.raises(PermissionRefused):
        review.version_decide(version=version, user=admin, action="approve")
    review.version_decide(
        version=version, user=team["inspection_reviewer"], action="approve"
    )
    with pytest.raises(PermissionRefused):
        review.version_decide(version=version, user=admin, action="approve")


def test_the_author_of_the_latest_change_cannot_approve(
    tmp_path: Path, media: Path, small_referential: None, team: dict[str, Any]
) -> None:
    """A Data Office manager who decided a match prepared the version too."""
    version = ingest(tmp_path, UNMATCHED_ROWS, team["inspection_declarant"])
    manager = team["data_office"]
    for key in ("produit maison xyz", "preparation hospitaliere abc"):
        services.match_decide(version=version, key=key, cis=None, user=manager)
    assert (
        DatasetVersion.objects.get(pk=version.pk).get_latest_revision().user == manager
    )
    review.version_submit(version=version, user=team["inspection_declarant"])
    review.version_decide(
        version=version, user=team["inspection_reviewer"], action="approve"
    )
    with pytest.raises(PermissionRefused):
        review.version_decide(version=version, user=manager, action="approve")
    review.version_decide(version=version, user=team["data_office_2"], action="approve")
    assert DatasetVersion.objects.get(pk=version.pk).live


def test_the_uploader_cannot_approve_from_the_admin_screens(
    in_review: DatasetVersion, team: dict[str, Any]
) -> None:
    uploader = team["inspection_declarant"]
    uploader.groups.add(*team["inspection_reviewer"].groups.all())
    client = login(uploader)
    task_state = in_review.current_workflow_task_state
    # Wagtail's dashboard / listing modal.
    url = reverse(
        "wagtailsnippets_datasets_datasetversion:workflow_action",
        args=[in_review.pk, "approve", task_state.pk],
    )
    # Wagtail turns the refusal into a redirect with an error message.
    assert client.post(url, {"comment": ""}).status_code in (302, 403)
    # Wagtail's editor.
    edit = reverse("wagtailsnippets_datasets_datasetversion:edit", args=[in_review.pk])
    client.post(
        edit,
        {"note": "", "action-workflow-action": "1", "workflow-action-name": "approve"},
    )
    # The review screen.
    response = client.post(
        reverse("workflows_decide", args=[in_review.pk]), {"action": "approve"}
    )
    assert response.status_code == 400
    assert "une autre personne" in response.content.decode()
    assert step(in_review) == "in_progress:Relecture – Inspection"


def test_a_reviewer_deciding_on_a_stale_page_finds_the_step_decided(
    team: dict[str, Any],
) -> None:
    """Both loaded the step in progress; the second decision is refused."""
    version = DatasetVersionFactory.create(
        upload__uploaded_by=team["inspection_declarant"]
    )
    review.version_submit(version=version, user=team["inspection_declarant"])
    first = version.current_workflow_task_state
    second = TaskState.objects.get(pk=first.pk).specific
    first.approve(user=team["inspection_reviewer"])
    with pytest.raises(PermissionDenied):
        second.approve(user=team["inspection_reviewer_2"])
    states = TaskState.objects.filter(workflow_state__object_id=str(version.pk))
    assert states.filter(task__name="Relecture – Inspection").count() == 1
    assert states.filter(task__name="Approbation – Data Office").count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_reviewers_approving_at_the_same_moment_produce_one_effect(
    team: dict[str, Any],
) -> None:
    """Two threads, two connections, released together: the row lock lets one
    approval through; the workflow moves on once."""
    version = DatasetVersionFactory.create(
        upload__uploaded_by=team["inspection_declarant"]
    )
    review.version_submit(version=version, user=team["inspection_declarant"])
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def approve(name: str) -> None:
        barrier.wait()
        try:
            review.version_decide(version=version, user=team[name], action="approve")
            outcomes.append("approved")
        except (ApplicationError, OperationalError) as exc:
            outcomes.append(type(exc).__name__)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=approve, args=(name,))
        for name in ("inspection_reviewer", "inspection_reviewer_2")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(outcomes) == 2 and outcomes.count("approved") == 1
    states = TaskState.objects.filter(workflow_state__object_id=str(version.pk))
    assert (
        states.filter(task__name="Relecture – Inspection", status="approved").count()
        == 1
    )
    assert states.filter(task__name="Approbation – Data Office").count() == 1
    assert (
        ModelLogEntry.objects.filter(
            object_id=str(version.pk), action="wagtail.workflow.approve"
        ).count()
        == 2  # the gate and one reviewer
    )
