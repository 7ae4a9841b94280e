"""Fixtures of the review tests: the datasets' files and a team of personas."""

from __future__ import annotations

from typing import Any

import pytest

from backoffice import roles
from datasets.models import DatasetVersion
from tests.datasets.conftest import media, small_referential  # noqa: F401
from tests.factories.datasets import DatasetVersionFactory
from tests.factories.extracts import step
from tests.factories.users import UserFactory
from workflows import services as review


@pytest.fixture
def team(personas: dict[str, Any]) -> dict[str, Any]:
    """The personas plus a second reviewer and a second Data Office manager."""
    personas["inspection_reviewer_2"] = UserFactory.create(
        username="inspection_reviewer_2", groups=[roles.INSPECTION_REVIEWERS]
    )
    personas["data_office_2"] = UserFactory.create(
        username="data_office_2", groups=[roles.DATA_OFFICE]
    )
    return personas


@pytest.fixture
def approve_both(team: dict[str, Any]) -> Any:
    """Approve a submitted version's two human steps: the Inspection's reviewer,
    then the Data Office (at ``publish_at`` when given)."""

    def approve(version: Any, **data_office: Any) -> Any:
        review.version_decide(
            version=version, user=team["inspection_reviewer"], action="approve"
        )
        review.version_decide(
            version=version, user=team["data_office"], action="approve", **data_office
        )
        return type(version).objects.get(pk=version.pk)

    return approve


@pytest.fixture
def in_review(team: dict[str, Any]) -> DatasetVersion:
    """A version uploaded by the declarant, waiting for the Inspection's review."""
    version = DatasetVersionFactory.create(
        upload__uploaded_by=team["inspection_declarant"]
    )
    review.version_submit(version=version, user=team["inspection_declarant"])
    assert step(version) == "in_progress:Relecture – Inspection"
    return version
