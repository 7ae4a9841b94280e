"""Approved and published versions refuse every change, on every path: the
snippet editor (its form and its POST), Wagtail's revision API and the model."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from wagtail.models import Revision

from datasets.models import DatasetVersion
from tests.factories.datasets import DatasetVersionFactory
from workflows import services as review

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(team: dict[str, Any], approve_both: Any) -> DatasetVersion:
    declarant = team["inspection_declarant"]
    version = DatasetVersionFactory.create(upload__uploaded_by=declarant)
    review.version_submit(version=version, user=declarant)
    version = approve_both(version)
    assert version.live
    return version


@pytest.mark.parametrize("who", ["inspection_declarant", "data_office"])
def test_an_approved_version_refuses_the_snippet_editor(
    team: dict[str, Any], published: DatasetVersion, who: str
) -> None:
    version = published
    revisions = Revision.objects.for_instance(version).count()
    client = Client()
    client.force_login(team[who])
    edit = reverse("wagtailsnippets_datasets_datasetversion:edit", args=[version.pk])
    assert client.get(edit).status_code in (302, 403)
    answer = client.post(edit, {"note": "corrigé après publication"})
    assert answer.status_code in (302, 403)
    version.refresh_from_db()
    assert version.note == ""
    assert Revision.objects.for_instance(version).count() == revisions


def test_an_approved_version_refuses_a_new_revision_from_code(
    team: dict[str, Any], published: DatasetVersion
) -> None:
    version = published
    revisions = Revision.objects.for_instance(version).count()
    version.note = "changé dans le shell"
    with pytest.raises(PermissionDenied, match="approuvée"):
        version.save_revision(user=team["inspection_declarant"])
    assert Revision.objects.for_instance(version).count() == revisions


def test_a_draft_still_takes_revisions(team: dict[str, Any]) -> None:
    version = DatasetVersionFactory.create(
        upload__uploaded_by=team["inspection_declarant"]
    )
    version.note = "note du déclarant"
    version.save_revision(user=team["inspection_declarant"], clean=False)
    assert Revision.objects.for_instance(version).count() == 2


def test_the_editor_refuses_another_directorates_version(team: dict[str, Any]) -> None:
    version = DatasetVersionFactory.create(
        upload__uploaded_by=team["inspection_declarant"]
    )
    client = Client()
    client.force_login(team["surveillance_declarant"])
    edit = reverse("wagtailsnippets_datasets_datasetversion:edit", args=[version.pk])
    assert client.get(edit).status_code in (302, 403, 404)
    client.post(edit, {"note": "d'une autre direction"})
    version.refresh_from_db()
    assert version.note == ""
