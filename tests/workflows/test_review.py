"""The review of dataset versions, with personas: quality gate, directorate review,
Data Office approval, four eyes on every path, changes requested, re-approval,
locking, cancellation, deletion, visibility, notifications and the audit trail."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.db import OperationalError, connection, transaction
from django.urls import reverse
from django.utils import timezone
from wagtail.models import ModelLogEntry, Revision, TaskState, WorkflowState

from backoffice import roles
from backoffice.exceptions import ApplicationError, InvalidTransition, PermissionRefused
from datasets import permissions, selectors, services
from datasets.models import DatasetVersion, FamilyWorkflow, ShortageRecord
from publications.selectors import live_version
from tests.datasets.conftest import DOLIPRANE
from tests.factories.clients import login
from tests.factories.datasets import DatasetVersionFactory
from tests.factories.extracts import MATCHED_ROWS, UNMATCHED_ROWS, ingest, step
from workflows import services as review
from workflows.models import FourEyesRefused

pytestmark = pytest.mark.django_db


def actions(version: DatasetVersion) -> list[str]:
    return list(
        ModelLogEntry.objects.filter(
            content_type__model="datasetversion", object_id=str(version.pk)
        )
        .order_by("timestamp", "pk")
        .values_list("action", flat=True)
    )


# -- The journeys ---------------------------------------------------------------------


def test_a_shortage_extract_goes_from_upload_to_publication(
    tmp_path: Path, media: Path, small_referential: None, team: dict[str, Any]
) -> None:
    declarant = team["inspection_declarant"]
    version = ingest(tmp_path, MATCHED_ROWS, declarant)
    assert version.live is False and version.get_latest_revision().user == declarant
    assert selectors.review_status(version).code == "draft"
    assert live_version("shortages") is None

    mail.outbox.clear()
    state = review.version_submit(
        version=version, user=declarant, note="Extrait mensuel"
    )
    # The automatic gate passed at once: the Inspection's reviewers are told.
    assert step(version) == "in_progress:Relecture – Inspection"
    recipients = {a for m in mail.outbox for a in m.to}
    assert team["inspection_reviewer"].email in recipients
    assert team["data_office"].email not in recipients
    assert declarant.email not in recipients

    mail.outbox.clear()
    review.version_decide(
        version=version, user=team["inspection_reviewer"], action="approve"
    )
    assert step(version) == "in_progress:Approbation – Data Office"
    assert team["data_office"].email in {a for m in mail.outbox for a in m.to}

    mail.outbox.clear()
    review.version_decide(version=version, user=team["data_office"], action="approve")
    version.refresh_from_db()
    state.refresh_from_db()
    assert state.status == WorkflowState.STATUS_APPROVED
    assert version.live is True and version.note == "Extrait mensuel"
    assert live_version("shortages") == version
    assert selectors.review_status(version).code == "published"
    # The submitter hears of the approval.
    assert [m.to for m in mail.outbox] == [[declarant.email]]
    # Every step is in the log, with the upload and the mapping of the version.
    logged = actions(version)
    for expected in (
        "datamed.version.clean",
        "wagtail.workflow.start",
        "wagtail.workflow.approve",
        "wagtail.publish",
    ):
        assert expected in logged
    assert (
        logged.count("wagtail.workflow.approve") == 3
    )  # gate, Inspection, Data Office
    assert ModelLogEntry.objects.filter(
        action="datamed.upload", object_id=str(version.upload_id)
    ).exists()
    assert ModelLogEntry.objects.filter(
        action="datamed.mapping", object_id=str(version.mapping_id)
    ).exists()


@pytest.mark.parametrize(
    ("family", "reviewers"),
    [
        ("shortages", roles.INSPECTION_REVIEWERS),
        ("pharmacovigilance", roles.SURVEILLANCE_REVIEWERS),
        ("medication_errors", roles.SURVEILLANCE_REVIEWERS),
    ],
)
def test_each_family_has_its_workflow_reviewed_by_its_directorate(
    family: str, reviewers: str, team: dict[str, Any]
) -> None:
    workflow = FamilyWorkflow.workflow_for(family)
    assert workflow is not None
    tasks = [task.specific for task in workflow.tasks]
    assert [type(t).__name__ for t in tasks] == [
        "QualityGateTask",
        "FourEyesApprovalTask",
        "FourEyesApprovalTask",
    ]
    assert [g.name for g in tasks[1].groups.all()] == [reviewers]
    assert [g.name for g in tasks[2].groups.all()] == [roles.DATA_OFFICE]


def test_a_surveillance_family_goes_through_surveillance_then_the_data_office(
    team: dict[str, Any], surveillance_family: str
) -> None:
    """Pharmacovigilance and medication errors have no record model yet (their
    issues come later): the review runs on versions made by the factory."""
    declarant = team["surveillance_declarant"]
    version = DatasetVersionFactory.create(
        family=surveillance_family, upload__uploaded_by=declarant
    )
    review.version_submit(version=version, user=declarant)
    assert step(version) == "in_progress:Relecture – Surveillance"
    with pytest.raises(PermissionRefused):
        review.version_decide(
            version=version, user=team["inspection_reviewer"], action="approve"
        )
    review.version_decide(
        version=version, user=team["surveillance_reviewer"], action="approve"
    )
    review.version_decide(version=version, user=team["data_office"], action="approve")
    version.refresh_from_db()
    assert version.live


@pytest.fixture(params=["pharmacovigilance", "medication_errors"])
def surveillance_family(request: Any) -> Any:
    """A minimal Surveillance family registered for the test only."""
    from datasets.families import FAMILIES
    from datasets.pipeline.schema import FamilySchema, FieldSpec

    key = request.param
    FAMILIES[key] = FamilySchema(
        key=key,
        label=key,
        fields=(FieldSpec("substance", "Substance", required=True),),
        natural_keys=(("substance",),),
        row_level=False,
    )
    yield key
    del FAMILIES[key]


# -- The quality gate -----------------------------------------------------------------


def test_the_quality_gate_sends_back_a_version_with_unmatched_medicines(
    tmp_path: Path, media: Path, small_referential: None, team: dict[str, Any]
) -> None:
    declarant = team["inspection_declarant"]
    version = ingest(tmp_path, UNMATCHED_ROWS, declarant)
    state = review.version_submit(version=version, user=declarant)
    assert state.status == WorkflowState.STATUS_NEEDS_CHANGES
    gate = state.current_task_state
    assert gate.task.name == "Contrôle qualité automatique"
    assert "50,0\u202f% des lignes" in gate.comment
    assert "file de revue" in gate.comment or "review queue" in gate.comment
    assert selectors.review_status(version).code == "needs_changes"

    # The declarant decides the two labels, then resumes: the gate passes.
    for key in ("produit maison xyz", "preparation hospitaliere abc"):
        services.match_decide(version=version, key=key, cis=DOLIPRANE, user=declarant)
    review.version_submit(version=version, user=declarant)
    assert step(version) == "in_progress:Relecture – Inspection"


def test_the_quality_gate_refuses_blocking_issues(team: dict[str, Any]) -> None:
    version = DatasetVersionFactory.create(
        blocking_issues=3, upload__uploaded_by=team["inspection_declarant"]
    )
    state = review.version_submit(version=version, user=team["inspection_declarant"])
    assert state.status == WorkflowState.STATUS_NEEDS_CHANGES
    assert "3" in state.current_task_state.comment


def test_a_version_still_cleaning_or_failed_cannot_be_submitted(
    team: dict[str, Any],
) -> None:
    for status in (DatasetVersion.Status.CLEANING, DatasetVersion.Status.FAILED):
        version = DatasetVersionFactory.create(
            status=status, upload__uploaded_by=team["inspection_declarant"]
        )
        with pytest.raises(InvalidTransition):
            review.version_submit(version=version, user=team["inspection_declarant"])


# -- Four eyes ------------------------------------------------------------------------


@pytest.fixture
def in_review(team: dict[str, Any]) -> DatasetVersion:
    """A version uploaded by the declarant, waiting for the Inspection's review."""
    version = DatasetVersionFactory.create(
        upload__uploaded_by=team["inspection_declarant"]
    )
    review.version_submit(version=version, user=team["inspection_declarant"])
    assert step(version) == "in_progress:Relecture – Inspection"
    return version


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


# -- Changes requested, resume, re-approval -----------------------------------


def test_requesting_changes_needs_a_comment_that_the_submitter_receives(
    in_review: DatasetVersion, team: dict[str, Any]
) -> None:
    reviewer = team["inspection_reviewer"]
    with pytest.raises(ApplicationError, match="comment"):
        review.version_decide(version=in_review, user=reviewer, action="reject")
    mail.outbox.clear()
    review.version_decide(
        version=in_review,
        user=reviewer,
        action="reject",
        comment="La cause de la ligne 12 est manquante.",
    )
    assert step(in_review) == "needs_changes:Relecture – Inspection"
    assert [m.to for m in mail.outbox] == [[team["inspection_declarant"].email]]
    assert "La cause de la ligne 12 est manquante." in mail.outbox[0].body


def test_resuming_without_change_restarts_the_step_that_asked_for_changes(
    in_review: DatasetVersion, team: dict[str, Any]
) -> None:
    review.version_decide(
        version=in_review, user=team["inspection_reviewer"], action="approve"
    )
    review.version_decide(
        version=in_review, user=team["data_office"], action="reject", comment="Dates ?"
    )
    review.version_submit(version=in_review, user=team["inspection_declarant"])
    assert step(in_review) == "in_progress:Approbation – Data Office"


def test_a_change_after_an_approval_goes_back_through_the_steps_already_passed(
    tmp_path: Path, media: Path, small_referential: None, team: dict[str, Any]
) -> None:
    declarant = team["inspection_declarant"]
    version = ingest(tmp_path, MATCHED_ROWS, declarant)
    review.version_submit(version=version, user=declarant)
    review.version_decide(
        version=version, user=team["inspection_reviewer"], action="approve"
    )
    review.version_decide(
        version=version,
        user=team["data_office"],
        action="reject",
        comment="Le médicament 21-2 doit être rattaché autrement.",
    )
    # The declarant corrects the version: a new revision.
    services.match_decide(
        version=version, key="3400935955838", cis=DOLIPRANE, user=declarant
    )
    review.version_submit(version=version, user=declarant)
    # Back to the Inspection (the gate passed again), not straight to the Data Office.
    assert step(version) == "in_progress:Relecture – Inspection"
    review.version_decide(
        version=version, user=team["inspection_reviewer"], action="approve"
    )
    assert step(version) == "in_progress:Approbation – Data Office"
    review.version_decide(version=version, user=team["data_office"], action="approve")
    assert DatasetVersion.objects.get(pk=version.pk).live


def test_a_version_under_review_is_locked(
    tmp_path: Path, media: Path, small_referential: None, team: dict[str, Any]
) -> None:
    declarant = team["inspection_declarant"]
    version = ingest(tmp_path, UNMATCHED_ROWS, declarant)
    for key in ("produit maison xyz",):
        services.match_decide(version=version, key=key, cis=DOLIPRANE, user=declarant)
    services.match_decide(
        version=version, key="preparation hospitaliere abc", cis=None, user=declarant
    )
    review.version_submit(version=version, user=declarant)
    assert step(version) == "in_progress:Relecture – Inspection"
    with pytest.raises(InvalidTransition, match="en validation"):
        services.match_decide(
            version=version, key="produit maison xyz", cis=None, user=declarant
        )
    with pytest.raises(InvalidTransition):
        services.version_rematch_enqueue(version=version, user=declarant)
    # Locked for everyone in Wagtail's editor, reviewers included.
    for user in (declarant, team["inspection_reviewer"], team["administrator"]):
        assert version.get_lock().for_user(user)
    edit = reverse("wagtailsnippets_datasets_datasetversion:edit", args=[version.pk])
    login(team["data_office"]).post(edit, {"note": "changé pendant la relecture"})
    assert DatasetVersion.objects.get(pk=version.pk).note == ""
    # Approved versions never change again.
    review.version_decide(
        version=version, user=team["inspection_reviewer"], action="approve"
    )
    review.version_decide(version=version, user=team["data_office"], action="approve")
    with pytest.raises(InvalidTransition, match="approuvée"):
        services.match_decide(
            version=version, key="produit maison xyz", cis=None, user=declarant
        )


def test_the_submitter_withdraws_a_version_and_submits_it_again(
    in_review: DatasetVersion, team: dict[str, Any]
) -> None:
    with pytest.raises(PermissionRefused):
        review.version_cancel(version=in_review, user=team["inspection_reviewer"])
    review.version_cancel(version=in_review, user=team["inspection_declarant"])
    assert step(in_review) == ""
    assert selectors.review_status(in_review).code == "cancelled"
    assert permissions.version_edit_error(in_review) is None
    review.version_submit(version=in_review, user=team["inspection_declarant"])
    assert step(in_review) == "in_progress:Relecture – Inspection"
    assert "wagtail.workflow.cancel" in actions(in_review)


# -- Scheduled publication -----------------------------------------------------


def test_an_approval_publishes_at_the_scheduled_date(team: dict[str, Any]) -> None:
    declarant = team["inspection_declarant"]
    version = DatasetVersionFactory.create(upload__uploaded_by=declarant)
    version.go_live_at = timezone.now() + timedelta(days=2)
    version.save(update_fields=["go_live_at"])
    version.save_revision(user=declarant, clean=False)
    review.version_submit(version=version, user=declarant)
    review.version_decide(
        version=version, user=team["inspection_reviewer"], action="approve"
    )
    review.version_decide(version=version, user=team["data_office"], action="approve")
    version.refresh_from_db()
    assert version.live is False
    assert selectors.review_status(version).code == "scheduled"
    assert review.publish_scheduled() == 0
    # Two days later (the approved revision's date moved to the past).
    past = timezone.now() - timedelta(minutes=1)
    scheduled = Revision.objects.get(
        object_id=str(version.pk), approved_go_live_at__isnull=False
    )
    scheduled.approved_go_live_at = past
    scheduled.content["go_live_at"] = past.isoformat()
    scheduled.save(update_fields=["approved_go_live_at", "content"])
    assert review.publish_scheduled() == 1
    version.refresh_from_db()
    assert version.live is True
    assert "wagtail.publish.scheduled" in actions(version)


# -- Deletion, visibility, the log ---------------------------------------------


def test_a_version_under_review_cannot_be_deleted(
    in_review: DatasetVersion, team: dict[str, Any]
) -> None:
    declarant = team["inspection_declarant"]
    with pytest.raises(InvalidTransition):
        services.version_delete(version=in_review, user=declarant)
    delete = reverse(
        "wagtailsnippets_datasets_datasetversion:delete", args=[in_review.pk]
    )
    client = login(declarant)
    # Wagtail turns the refusal into a redirect to the dashboard with a message.
    assert client.get(delete).status_code == 302
    assert client.post(delete).status_code == 302
    assert DatasetVersion.objects.filter(pk=in_review.pk).exists()


def test_a_draft_never_submitted_is_deleted_with_its_records(
    tmp_path: Path, media: Path, small_referential: None, team: dict[str, Any]
) -> None:
    declarant = team["inspection_declarant"]
    version = ingest(tmp_path, MATCHED_ROWS, declarant)
    assert ShortageRecord.objects.filter(version=version).count() == 2
    delete = reverse(
        "wagtailsnippets_datasets_datasetversion:delete", args=[version.pk]
    )
    response = login(declarant).post(delete)
    assert response.status_code == 302
    assert not DatasetVersion.objects.filter(pk=version.pk).exists()
    assert not ShortageRecord.objects.filter(version_id=version.pk).exists()


def test_an_outsider_cannot_see_another_directorates_versions(
    in_review: DatasetVersion, team: dict[str, Any]
) -> None:
    for persona in ("surveillance_declarant", "surveillance_reviewer"):
        client = login(team[persona])
        for name in ("edit", "history", "workflow_history"):
            url = reverse(
                f"wagtailsnippets_datasets_datasetversion:{name}", args=[in_review.pk]
            )
            assert client.get(url).status_code == 404, (persona, name)
        assert (
            client.get(reverse("datasets_version", args=[in_review.pk])).status_code
            == 404
        )
        listing = client.get(reverse("wagtailsnippets_datasets_datasetversion:list"))
        assert str(in_review.upload) not in listing.content.decode()
    client = login(team["outsider"])
    assert client.get(reverse("datasets_version", args=[in_review.pk])).status_code in (
        302,
        403,
        404,
    )


def test_log_entries_have_no_edit_or_delete_screen(team: dict[str, Any]) -> None:
    from wagtail.admin.viewsets import viewsets

    registered = [getattr(v, "model", None) for v in viewsets.viewsets]
    assert ModelLogEntry not in registered
    # No role may change or delete log entries, whatever the screens.
    for persona in ("data_office", "inspection_declarant", "inspection_reviewer"):
        user = team[persona]
        assert not user.has_perm("wagtailcore.change_modellogentry")
        assert not user.has_perm("wagtailcore.delete_modellogentry")


def test_log_entries_are_append_only(in_review: DatasetVersion) -> None:
    entry = ModelLogEntry.objects.filter(object_id=str(in_review.pk)).first()
    assert entry is not None
    entry.label = "falsifié"
    with pytest.raises(PermissionDenied), transaction.atomic():
        entry.save()
    with pytest.raises(PermissionDenied), transaction.atomic():
        entry.delete()
    assert ModelLogEntry.objects.get(pk=entry.pk).label != "falsifié"


def test_the_site_history_lists_filters_and_exports_the_review(
    in_review: DatasetVersion, team: dict[str, Any]
) -> None:
    client = login(team["data_office"])
    url = reverse("wagtailadmin_reports:site_history_results")
    html = client.get(url).content.decode()
    assert "Validation – Ruptures de stock" in html
    assert "Contrôle qualité automatique" in html
    filtered = client.get(url, {"action": "wagtail.workflow.approve"}).content.decode()
    assert "Contrôle qualité automatique" in filtered
    assert "a été commencé" not in filtered
    export = client.get(reverse("wagtailadmin_reports:site_history"), {"export": "csv"})
    assert export.status_code == 200
    content = b"".join(export.streaming_content)
    assert str(in_review).encode() in content
    assert "approuver la tâche".encode() in content


def test_nobody_publishes_from_wagtails_editor(team: dict[str, Any]) -> None:
    """The "publish" action of the editor is refused, even to administrators: only
    the last approval publishes."""
    version = DatasetVersionFactory.create(
        upload__uploaded_by=team["inspection_declarant"]
    )
    edit = reverse("wagtailsnippets_datasets_datasetversion:edit", args=[version.pk])
    for persona in ("data_office", "administrator"):
        client = login(team[persona])
        assert "action-publish" not in client.get(edit).content.decode()
        client.post(edit, {"note": "publiée sans relecture ?", "action-publish": "1"})
        assert DatasetVersion.objects.get(pk=version.pk).live is False


def test_only_an_administrator_edits_the_workflows_in_wagtails_admin(
    team: dict[str, Any],
) -> None:
    workflow = FamilyWorkflow.workflow_for("shortages")
    edit_url = reverse("wagtailadmin_workflows:edit", args=[workflow.pk])
    office = login(team["data_office"])
    assert office.get(reverse("wagtailadmin_workflows:index")).status_code in (302, 403)
    assert office.get(edit_url).status_code in (302, 403)
    assert office.post(edit_url, {"name": "x"}).status_code in (302, 403)
    admin = login(team["administrator"])
    listing = admin.get(reverse("wagtailadmin_workflows:index"))
    assert listing.status_code == 200
    assert "Validation – Ruptures de stock" in listing.content.decode()
    edit = admin.get(edit_url)
    assert edit.status_code == 200
    assert "Relecture – Inspection" in edit.content.decode()


def test_the_disclosure_preview_suppresses_small_counts_of_aggregate_families(
    tmp_path: Path, media: Path, small_referential: None, team: dict[str, Any]
) -> None:
    """Declared as aggregates only, the shortage family would publish counts per
    year and classification: those under the threshold are shown suppressed."""
    import dataclasses

    from datasets.families import FAMILIES
    from workflows.selectors import disclosure_preview

    version = ingest(tmp_path, MATCHED_ROWS, team["inspection_declarant"])
    row_level = disclosure_preview(version)
    assert row_level.row_level and row_level.rows == 2 and not row_level.tables
    original = FAMILIES["shortages"]
    FAMILIES["shortages"] = dataclasses.replace(original, row_level=False)
    try:
        preview = disclosure_preview(version)
    finally:
        FAMILIES["shortages"] = original
    by_label = {str(t.label): t for t in preview.tables}
    per_class = by_label["Déclarations par classification"]
    assert per_class.cells == 2 and per_class.suppressed == 2
    assert all(hidden for _label, _count, hidden in per_class.rows)


def test_the_bulk_delete_action_spares_a_version_under_review(
    in_review: DatasetVersion, team: dict[str, Any]
) -> None:
    draft = DatasetVersionFactory.create(
        upload__uploaded_by=team["inspection_declarant"]
    )
    url = reverse("wagtail_bulk_action", args=["datasets", "datasetversion", "delete"])
    client = login(team["inspection_declarant"])
    response = client.post(f"{url}?id={in_review.pk}&id={draft.pk}&next=/admin/")
    assert response.status_code == 302
    assert DatasetVersion.objects.filter(pk=in_review.pk).exists()
    # The same action does delete a draft never submitted (the control), through
    # the service: its deletion is in the audit trail.
    assert not DatasetVersion.objects.filter(pk=draft.pk).exists()
    deleted = ModelLogEntry.objects.filter(
        action="wagtail.delete", object_id=str(draft.pk)
    )
    assert [e.user_id for e in deleted] == [team["inspection_declarant"].pk]
