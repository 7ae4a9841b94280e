"""A pharmacovigilance extract through the upload screen: its three tables chosen
together, joined and cleaned into a version its directorate sees and no other;
a missing table named on the form."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from datasets.models import DatasetVersion, Upload
from tests.factories.pharmacovigilance import write_small_extract

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _post(client: Client, paths: list[Path], family: str) -> Any:
    files = [SimpleUploadedFile(p.name, p.read_bytes()) for p in paths]
    return client.post(
        "/admin/donnees/deposer/",
        {"family": family, "file": files, "sheet": ""},
        follow=True,
    )


def test_a_surveillance_declarant_uploads_the_three_tables_together(
    tmp_path: Path,
    media: Path,
    personas: dict[str, Any],
    small_referential: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    paths = write_small_extract(tmp_path)
    client = _client(personas["surveillance_declarant"])
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, paths, "pharmacovigilance")
    assert response.status_code == 200
    version = DatasetVersion.objects.get(family="pharmacovigilance")
    assert response.redirect_chain[-1][0] == f"/admin/donnees/version/{version.pk}/"
    assert "Tables reçues et assemblées" in response.content.decode()
    version.refresh_from_db()
    assert version.status == DatasetVersion.Status.DRAFT
    assert version.rows_loaded == 5 and version.assembly["cases"] == 3
    report = client.get(f"/admin/donnees/version/{version.pk}/").content.decode()
    assert "Lignes rattachées à aucun cas" in report
    for persona, visible in (
        ("surveillance_reviewer", True),
        ("data_office", True),
        ("inspection_declarant", False),
        ("inspection_reviewer", False),
        ("outsider", False),
    ):
        client = _client(personas[persona])
        for url in (
            f"/admin/donnees/version/{version.pk}/",
            f"/admin/donnees/version/{version.pk}/appariement/",
            f"/admin/donnees/version/{version.pk}/rapport.xlsx",
            f"/admin/donnees/depot/{version.upload_id}/",
        ):
            assert (client.get(url).status_code == 200) is visible, (persona, url)


def test_a_missing_table_is_named_on_the_form_and_an_inspector_cannot_choose_the_family(
    tmp_path: Path, media: Path, personas: dict[str, Any]
) -> None:
    paths = write_small_extract(tmp_path)
    declarant = _client(personas["surveillance_declarant"])
    response = _post(declarant, paths[:2], "pharmacovigilance")
    assert "Tables manquantes : « Médicaments »" in response.content.decode()
    assert not DatasetVersion.objects.exists()
    inspector = _client(personas["inspection_declarant"])
    response = _post(inspector, paths, "pharmacovigilance")
    assert "pharmacovigilance" not in {
        key for key, _label in response.context["form"].fields["family"].choices
    }
    assert not Upload.objects.filter(uploaded_by=personas["inspection_declarant"])
