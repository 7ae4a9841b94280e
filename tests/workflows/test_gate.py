"""The automatic quality gate: unmatched medicines and blocking issues send a version
back; a version still cleaning or failed is not submitted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from wagtail.models import WorkflowState

from backoffice.exceptions import InvalidTransition
from datasets import selectors, services
from datasets.models import DatasetVersion
from tests.datasets.conftest import DOLIPRANE
from tests.factories.datasets import DatasetVersionFactory
from tests.factories.extracts import UNMATCHED_ROWS, ingest, step
from workflows import services as review

pytestmark = pytest.mark.django_db


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
