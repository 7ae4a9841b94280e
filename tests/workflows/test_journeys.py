"""Journeys of a version from upload to publication, and each family's workflow reviewed
by its own directorate then the Data Office."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from wagtail.models import ModelLogEntry, WorkflowState

from backoffice import roles
from backoffice.exceptions import PermissionRefused
from datasets import selectors
from datasets.models import FamilyWorkflow
from publications.selectors import live_version
from tests.factories.datasets import DatasetVersionFactory
from tests.factories.extracts import MATCHED_ROWS, ingest, step
from tests.factories.reviews import logged_actions
from workflows import services as review

pytestmark = pytest.mark.django_db


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
    logged = logged_actions(version)
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
