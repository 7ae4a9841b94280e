"""Uploads: refusals with a French reason and nothing left behind, size and zip-bomb
limits, the same bytes twice, the directorate's families."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest

from backoffice.exceptions import ApplicationError, PermissionRefused
from datasets import services
from datasets.models import Upload
from tests.datasets.conftest import HEADER, write_csv

pytestmark = pytest.mark.django_db


CFB = bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 600


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("vide.csv", b"", "vide.csv est vide."),
        (
            "entete.csv",
            HEADER.encode(),
            "une ligne d'en-tête mais aucune ligne de données",
        ),
        ("image.csv", b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "ni un fichier CSV"),
        ("vieux.xls", CFB, "Excel 97-2003"),
        ("secret.xlsx", CFB + "EncryptedPackage".encode("utf-16-le"), "mot de passe"),
    ],
)
def test_refused_files_get_a_french_reason_and_leave_nothing(
    tmp_path: Path, media: Path, name: str, content: bytes, expected: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ApplicationError) as info:
        services.upload_create(source=path, name=name, family="shortages", user=None)
    assert expected in info.value.message
    assert not Upload.objects.exists()
    assert not [p for p in (media.parent / "private").rglob("*") if p.is_file()]


def test_a_zip_bomb_disguised_as_a_workbook_is_refused(
    tmp_path: Path, media: Path, settings: Any
) -> None:
    settings.EXTRACT_MAX_UNCOMPRESSED_BYTES = 1024 * 1024
    path = tmp_path / "bombe.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (5 * 1024 * 1024))
    with pytest.raises(ApplicationError) as info:
        services.upload_create(
            source=path, name="bombe.xlsx", family="shortages", user=None
        )
    assert "une fois décompressé" in info.value.message


@pytest.mark.parametrize("as_path", [True, False])
def test_a_file_over_the_size_limit_is_refused(
    tmp_path: Path, media: Path, settings: Any, as_path: bool
) -> None:
    settings.EXTRACT_MAX_BYTES = 100
    path = write_csv(
        tmp_path / "gros.csv", HEADER + "21-1;ouvert;rupture;01/01/2024;;X\n" * 10
    )
    with path.open("rb") as handle, pytest.raises(ApplicationError) as info:
        services.upload_create(
            source=path if as_path else handle,
            name="gros.csv",
            family="shortages",
            user=None,
        )
    assert "plus que les 100" in info.value.message
    # Nothing is left behind, not even the part copied before the refusal.
    assert not [p for p in (media.parent / "private").rglob("*") if p.is_file()]


def test_the_same_bytes_uploaded_again_point_to_the_first_upload(
    tmp_path: Path, media: Path
) -> None:
    path = write_csv(tmp_path / "a.csv", HEADER + "21-1;ouvert;rupture;01/01/2024;;X\n")
    first, created = services.upload_create(
        source=path, name="a.csv", family="shortages", user=None
    )
    again, created_again = services.upload_create(
        source=io.BytesIO(path.read_bytes()),
        name="copie.csv",
        family="shortages",
        user=None,
    )
    assert created and not created_again
    assert again.pk == first.pk and Upload.objects.count() == 1


def test_a_directorate_cannot_upload_another_directorates_family(
    tmp_path: Path, media: Path, personas: dict[str, Any]
) -> None:
    path = write_csv(tmp_path / "a.csv", HEADER + "21-1;ouvert;rupture;01/01/2024;;X\n")
    with pytest.raises(PermissionRefused):
        services.upload_create(
            source=path,
            name="a.csv",
            family="shortages",
            user=personas["surveillance_declarant"],
        )
    with pytest.raises(ApplicationError, match="Famille de données inconnue"):
        services.upload_create(source=path, name="a.csv", family="nope", user=None)
