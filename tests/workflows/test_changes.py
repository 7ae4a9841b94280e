"""Changes requested, resuming, re-approval after a change, locking during the review,
and withdrawing a version."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.urls import reverse

from backoffice.exceptions import ApplicationError, InvalidTransition, PermissionRefused
from datasets import permissions, selectors, services
from datasets.models import DatasetVersion
from tests.datasets.conftest import DOLIPRANE
from tests.factories.clients import login
from tests.factories.extracts import MATCHED_ROWS, UNMATCHED_ROWS, ingest, step
from tests.factories.reviews import logged_actions
from workflows import services as review

pytestmark = pytest.mark.django_db


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
    assert "wagtail.workflow.cancel" in logged_actions(in_review)
