"""Fixtures of the review tests: the datasets' files and a team of personas."""

from __future__ import annotations

from typing import Any

import pytest

from backoffice import roles
from tests.datasets.conftest import media, small_referential  # noqa: F401
from tests.factories.users import UserFactory


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
