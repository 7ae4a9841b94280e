"""Referential screens: search, speciality page, uploads started as jobs, aliases
and corrections exported and imported with django-import-export."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from referential_admin.models import Alias, AtcCorrection, Speciality
from referential_admin.services import referential_import
from tasks.models import JobRun
from tests.referential_admin.conftest import REAL_BDPM, first_cis

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_referential(snapshot_factory: Any) -> list[str]:
    codes = [*first_cis(120), "60234100"]
    referential_import(directory=snapshot_factory("small", codes))
    return codes


def test_search_ignores_case_and_accents(
    client: Client, personas: dict[str, Any], small_referential: list[str]
) -> None:
    client.force_login(personas["inspection_reviewer"])
    url = reverse("specialities:index")
    page = client.get(url, {"q": "DOLIPRANE 1000 COMPRIME"}).content.decode()
    assert "60234100" in page
    page = client.get(url, {"q": "paracétamol"}).content.decode()
    assert "60234100" in page
    page = client.get(url, {"q": "3400935955838"}).content.decode()
    assert "DOLIPRANE 1000 mg, comprimé" in page


def test_speciality_screen_shows_its_presentations_and_composition(
    client: Client, personas: dict[str, Any], small_referential: list[str]
) -> None:
    client.force_login(personas["inspection_declarant"])
    speciality = Speciality.objects.get(cis="60234100")
    page = client.get(reverse("specialities:inspect", args=[speciality.pk])).content
    text = page.decode()
    assert "3400935955838" in text and "PARACÉTAMOL" in text
    assert client.get(reverse("specialities:index")).status_code == 200


def test_only_the_data_office_imports_bdpm_files(
    client: Client,
    personas: dict[str, Any],
    django_capture_on_commit_callbacks: Any,
    tmp_path: Path,
    settings: Any,
) -> None:
    settings.MEDIA_ROOT = tmp_path
    settings.PRIVATE_ROOT = tmp_path
    url = reverse("referential_imports:upload")
    client.force_login(personas["inspection_declarant"])
    assert client.get(url).status_code in (302, 403)

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "bdpm/CIS_bdpm.txt",
            (REAL_BDPM / "CIS_bdpm.txt").read_bytes()[:4000].rsplit(b"\r\n", 1)[0],
        )
        archive.writestr("../evil/readme.txt", b"ignored")
    client.force_login(personas["data_office"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url, {"files": [SimpleUploadedFile("bdpm.zip", buffer.getvalue())]}
        )
    run = JobRun.objects.get()
    assert response["Location"] == reverse("jobs:inspect", args=[run.pk])
    assert run.status == JobRun.Status.DONE, run.error
    assert run.result["created"] > 0
    stored = list(tmp_path.rglob("*"))
    assert not any("evil" in str(p) for p in stored)


def test_a_non_bdpm_upload_is_refused_with_a_french_message(
    client: Client, personas: dict[str, Any], tmp_path: Path, settings: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    settings.PRIVATE_ROOT = tmp_path
    client.force_login(personas["data_office"])
    response = client.post(
        reverse("referential_imports:upload"),
        {"files": [SimpleUploadedFile("ruptures.xlsx", b"PK\x03\x04")]},
    )
    assert response.status_code == 200
    assert "BDPM" in response.content.decode()
    assert not JobRun.objects.exists()


def test_aliases_round_trip_through_xlsx_and_csv(
    client: Client, personas: dict[str, Any], small_referential: list[str]
) -> None:
    client.force_login(personas["data_office"])
    response = client.post(
        reverse("aliases:add"),
        {
            "label": "Doliprane 1g cp",
            "family": "",
            "speciality": "60234100",
            "note": "",
        },
    )
    assert response.status_code == 302
    alias = Alias.objects.get()
    assert alias.normalised_label and alias.created_by == personas["data_office"]

    xlsx = client.get(reverse("aliases:export", args=["xlsx"])).content
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("libelle", "famille", "cis")
    assert rows[1][0] == "Doliprane 1g cp"

    csv = (
        "libelle,famille,cis,note\n"
        "DOLIPRANE 1 G CP,,60234100,\n"
        "Autre produit,shortages,,hors référentiel\n"
    )
    response = client.post(
        reverse("aliases:import"),
        {"file": SimpleUploadedFile("alias.csv", csv.encode("cp1252"))},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Alias.objects.count() == 2
    outside = Alias.objects.get(family="shortages")
    assert outside.speciality_id is None and outside.note == "hors référentiel"


def test_an_alias_file_with_an_unknown_cis_imports_nothing(
    client: Client, personas: dict[str, Any], small_referential: list[str]
) -> None:
    client.force_login(personas["data_office"])
    csv = "libelle,famille,cis,note\nBon libellé,,60234100,\nMauvais,,11111111,\n"
    response = client.post(
        reverse("aliases:import"),
        {"file": SimpleUploadedFile("alias.csv", csv.encode("utf-8"))},
    )
    assert response.status_code == 200
    assert "11111111" in response.content.decode()
    assert not Alias.objects.exists()


def test_atc_corrections_apply_at_the_next_import(
    client: Client, personas: dict[str, Any], snapshot_factory: Any
) -> None:
    folder = snapshot_factory("atc", ["60234100"])
    referential_import(directory=folder)
    assert Speciality.objects.get(cis="60234100").atc_id is None
    client.force_login(personas["data_office"])
    csv = "cis,code_atc,motif\n60234100,n02be01,Paracétamol\n"
    client.post(
        reverse("atc_corrections:import"),
        {"file": SimpleUploadedFile("atc.csv", csv.encode("utf-8"))},
    )
    assert AtcCorrection.objects.get().atc_code == "N02BE01"
    referential_import(directory=folder)
    speciality = Speciality.objects.get(cis="60234100")
    assert speciality.atc_id == "N02BE01"
    assert speciality.atc is not None and speciality.atc.level == 5


def test_directorates_cannot_edit_corrections_or_import(
    client: Client, personas: dict[str, Any]
) -> None:
    client.force_login(personas["inspection_reviewer"])
    assert client.get(reverse("aliases:import")).status_code in (302, 403)
    assert client.get(reverse("atc_corrections:add")).status_code in (302, 403)
    client.force_login(personas["inspection_declarant"])
    assert client.get(reverse("aliases:add")).status_code == 200


def test_an_empty_file_in_an_upload_is_named_and_nothing_starts(
    client: Client, personas: dict[str, Any], tmp_path: Path, settings: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    settings.PRIVATE_ROOT = tmp_path
    client.force_login(personas["data_office"])
    response = client.post(
        reverse("referential_imports:upload"),
        {
            "files": [
                SimpleUploadedFile("CIS_bdpm.txt", b"61266250\tX, pommade\n"),
                SimpleUploadedFile("CIS_CIP_Dispo_Spec.txt", b""),
            ]
        },
    )
    assert response.status_code == 200
    assert "CIS_CIP_Dispo_Spec.txt" in response.content.decode()
    assert not JobRun.objects.exists()
    assert not any(tmp_path.iterdir())
