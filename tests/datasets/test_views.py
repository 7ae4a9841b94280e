"""The datasets screens through the web client, per persona: upload, confirm the
reading, map, read the report, decide matches, compare."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from datasets import services
from datasets.models import DatasetVersion, MatchDecision, ShortageRecord, Upload
from tests.datasets.conftest import DISPOMED_CSV, DOLIPRANE, HEADER

pytestmark = pytest.mark.django_db

ROWS = (
    "21-1;ouvert;Rupture de stock;01/02/2024;3400935955838;\n"
    "21-2;ouvert;Pénurie;02/02/2024;;Produit maison XYZ\n"
    "21-3;fermé;Risque de rupture de stock;03/02/2024;;Produit maison XYZ\n"
)


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def upload_file(client: Client, content: bytes, name: str = "extrait.csv") -> Any:
    return client.post(
        "/admin/donnees/deposer/",
        {"family": "shortages", "file": SimpleUploadedFile(name, content), "sheet": ""},
        follow=True,
    )


def mapping_post(upload: Upload, **extra: str) -> dict[str, str]:
    data = {
        "profile_name": "TrustMed",
        "column__declaration_number": "Numéro",
        "column__state": "Etat",
        "column__classification": "Classification",
        "column__declared_on": "Date de déclaration",
        "column__cip13": "CIP13",
        "column__product_name": "Spécialité",
        "save": "1",
    }
    data.update(extra)
    return data


def test_a_declarant_uploads_confirms_maps_and_reads_the_report(
    personas: dict[str, Any],
    media: Path,
    small_referential: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = client_for(personas["inspection_declarant"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/donnees/deposer/",
            {
                "family": "shortages",
                "file": SimpleUploadedFile(
                    "extrait.csv", (HEADER + ROWS).encode("cp1252")
                ),
            },
        )
    upload = Upload.objects.get()
    assert response["Location"] == f"/admin/donnees/depot/{upload.pk}/"
    page = client.get(response["Location"]).content.decode()
    # Accented bytes without any 0x80–0x9F byte: ISO-8859-1, semicolons.
    assert "Fichier reçu" in page and "latin-1" in page and "« ; »" in page
    assert "Spécialité" in page and "Produit maison XYZ" in page
    assert upload.status == Upload.Status.PROFILED

    form = client.get(f"/admin/donnees/depot/{upload.pk}/correspondance/")
    text = form.content.decode()
    # The suggestion selected the columns, and the unknown value asks for a meaning.
    assert '<option value="Classification" selected>' in text
    assert "« Pénurie »" in text
    values = {
        key: value
        for key, value in form.context["form"].initial.items()
        if key.startswith("value__")
    }
    assert list(values) == ["value__classification__0"]

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/admin/donnees/depot/{upload.pk}/correspondance/",
            mapping_post(upload, value__classification__0="rupture"),
        )
    version = DatasetVersion.objects.get()
    assert response["Location"] == f"/admin/donnees/version/{version.pk}/"
    response = client.get(response["Location"])
    assert version.status == DatasetVersion.Status.DRAFT
    assert version.rows_loaded == 3
    assert version.mapping.spec["value_maps"] == {
        "classification": {"Pénurie": "rupture"}
    }
    report = response.content.decode()
    assert "lignes lues" in report and "Médicament introuvable" in report

    xlsx = client.get(f"/admin/donnees/version/{version.pk}/rapport.xlsx")
    assert xlsx.status_code == 200
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")

    queue = client.get(f"/admin/donnees/version/{version.pk}/appariement/")
    assert "« Produit maison XYZ »" in queue.content.decode()
    response = client.post(
        f"/admin/donnees/version/{version.pk}/appariement/",
        {"key": "produit maison xyz", "cis": DOLIPRANE, "scope": "all"},
        follow=True,
    )
    assert "2 lignes mises à jour" in response.content.decode()
    assert MatchDecision.objects.get().decided_by == personas["inspection_declarant"]
    assert set(
        ShortageRecord.objects.filter(version=version).values_list(
            "matched_cis", flat=True
        )
    ) == {DOLIPRANE}

    diff = client.get(f"/admin/donnees/version/{version.pk}/ecarts/")
    page = diff.content.decode()
    assert "toutes les lignes sont nouvelles" in page
    # The added rows are listed with the family's summary fields, as labels.
    assert "Nom du médicament" in page and "Produit maison XYZ" in page
    assert "Rupture de stock" in page and ">rupture<" not in page


def test_a_mapping_without_the_required_field_stays_on_the_form_naming_it(
    personas: dict[str, Any], media: Path
) -> None:
    client = client_for(personas["inspection_declarant"])
    upload, _created = services.upload_create(
        source=DISPOMED_CSV.open("rb"),
        name="dispomed.csv",
        family="shortages",
        user=personas["inspection_declarant"],
        inline=True,
    )
    response = client.post(
        f"/admin/donnees/depot/{upload.pk}/correspondance/",
        {
            "profile_name": "Dispomed",
            "column__product_name": "normalized_name",
            "save": "1",
        },
    )
    assert response.status_code == 200
    assert "« Classification »" in response.content.decode()
    assert not DatasetVersion.objects.exists()


def test_a_refused_file_shows_the_reason_on_the_form(
    personas: dict[str, Any], media: Path
) -> None:
    client = client_for(personas["inspection_declarant"])
    response = upload_file(client, b"%PDF-1.4 binary", name="note.csv")
    assert response.status_code == 200
    assert "note.csv n&#x27;est ni un fichier CSV" in response.content.decode()
    assert not Upload.objects.exists()


def test_the_same_file_twice_lands_on_the_first_upload_with_a_warning(
    personas: dict[str, Any], media: Path, django_capture_on_commit_callbacks: Any
) -> None:
    client = client_for(personas["inspection_declarant"])
    with django_capture_on_commit_callbacks(execute=True):
        upload_file(client, (HEADER + ROWS).encode())
    response = upload_file(client, (HEADER + ROWS).encode(), name="copie.csv")
    assert "a déjà été déposé" in response.content.decode()
    assert Upload.objects.count() == 1


@pytest.mark.parametrize(
    ("persona", "can_see", "can_upload"),
    [
        ("inspection_declarant", True, True),
        ("inspection_reviewer", True, False),
        ("data_office", True, True),
        # Surveillance declarants upload (pharmacovigilance), not shortages.
        ("surveillance_declarant", False, True),
        ("outsider", False, False),
    ],
)
def test_only_the_owning_directorate_and_managers_see_shortage_extracts(
    personas: dict[str, Any],
    media: Path,
    persona: str,
    can_see: bool,
    can_upload: bool,
) -> None:
    version = services.extract_ingest(
        path=DISPOMED_CSV, family="shortages", user=personas["inspection_declarant"]
    )
    client = client_for(personas[persona])
    for url in (
        f"/admin/donnees/depot/{version.upload_id}/",
        f"/admin/donnees/depot/{version.upload_id}/fichier/",
        f"/admin/donnees/version/{version.pk}/",
        f"/admin/donnees/version/{version.pk}/appariement/",
        f"/admin/donnees/version/{version.pk}/rapport.xlsx",
    ):
        response = client.get(url)
        assert (response.status_code == 200) is can_see, url
    listing = client.get("/admin/donnees/depots/")
    assert ("dispomed_big_table_for_import.csv" in listing.content.decode()) is can_see
    form = client.get("/admin/donnees/deposer/")
    assert (form.status_code == 200) is can_upload


def test_a_reviewer_cannot_decide_matches(
    personas: dict[str, Any], media: Path
) -> None:
    version = services.extract_ingest(
        path=DISPOMED_CSV, family="shortages", user=personas["inspection_declarant"]
    )
    client = client_for(personas["inspection_reviewer"])
    key = ShortageRecord.objects.filter(version=version).first().medicine_key
    client.post(
        f"/admin/donnees/version/{version.pk}/appariement/",
        {"key": key, "action": "outside"},
    )
    assert not MatchDecision.objects.exists()
