"""Extracts made of several tables: the same three tables uploaded as files, as
a zip or as one workbook; a missing table, an unknown file and a foreign
directorate refused with French messages; the mapping of every part saved as
one versioned profile."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from backoffice.exceptions import ApplicationError, PermissionRefused
from datasets.models import MappingProfile, Upload
from datasets.services import extract_create, extract_mapping_suggest
from datasets.services.extracts import mapping_parts_save
from tests.factories.pharmacovigilance import NAMES, write_small_extract

pytestmark = pytest.mark.django_db


def _parts(extract: Any) -> dict[str, tuple[str, str, int]]:
    return {
        p.part: (p.upload.original_name, p.sheet, len(p.columns))
        for p in extract.parts.select_related("upload")
    }


def test_three_files_are_recognised_by_their_names(
    tmp_path: Path, media: Path, personas: dict[str, Any]
) -> None:
    paths = write_small_extract(tmp_path)
    extract = extract_create(
        sources=[(p, p.name) for p in reversed(paths)],
        family="pharmacovigilance",
        user=personas["surveillance_declarant"],
    )
    assert _parts(extract) == {
        "cases": (NAMES["cases"], "", 18),
        "effects": (NAMES["effects"], "", 6),
        "drugs": (NAMES["drugs"], "", 5),
    }
    suggestion = extract_mapping_suggest(extract=extract)
    assert suggestion.missing == {}
    assert suggestion.spec["parts"]["drugs"]["columns"]["MEDICAMENT"] == "MEDICAMENT"


def test_a_zip_of_the_tables_stores_each_table_as_it_was(
    tmp_path: Path, media: Path
) -> None:
    paths = write_small_extract(tmp_path / "files")
    archive = tmp_path / "bnpv.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for path in paths:
            out.write(path, f"export/{path.name}")
    extract = extract_create(
        sources=[(archive, archive.name)], family="pharmacovigilance", user=None
    )
    assert set(_parts(extract)) == {"cases", "effects", "drugs"}
    stored = extract.parts.get(part="effects").upload
    assert Path(stored.file.path).read_bytes() == paths[1].read_bytes()


def test_a_workbook_with_a_sheet_per_table_is_one_upload(
    tmp_path: Path, media: Path
) -> None:
    paths = write_small_extract(tmp_path / "files")
    workbook = tmp_path / "bnpv.xlsx"
    with pd.ExcelWriter(workbook) as writer:
        for path, sheet in zip(
            paths, ["Cas-Patients", "Effets", "Médicaments"], strict=True
        ):
            frame = pd.read_csv(path, sep=";", dtype=str, keep_default_na=False)
            frame.to_excel(writer, sheet_name=sheet, index=False)
        pd.DataFrame({"Note": ["extraction du 16/02/2023"]}).to_excel(
            writer, sheet_name="Notificateur", index=False
        )
    extract = extract_create(
        sources=[(workbook, workbook.name)], family="pharmacovigilance", user=None
    )
    parts = _parts(extract)
    assert {name: sheet for name, (_f, sheet, _n) in parts.items()} == {
        "cases": "Cas-Patients",
        "effects": "Effets",
        "drugs": "Médicaments",
        "notifiers": "Notificateur",
    }
    assert Upload.objects.count() == 1


def test_a_missing_table_or_an_unknown_file_is_refused_in_french(
    tmp_path: Path, media: Path
) -> None:
    paths = write_small_extract(tmp_path)
    with pytest.raises(ApplicationError, match="Tables manquantes : « Médicaments »"):
        extract_create(
            sources=[(p, p.name) for p in paths[:2]],
            family="pharmacovigilance",
            user=None,
        )
    other = tmp_path / "notes.csv"
    other.write_text("a;b\n1;2\n", encoding="utf-8")
    with pytest.raises(
        ApplicationError, match=r"Pas une table de cet extrait : « notes\.csv »"
    ):
        extract_create(
            sources=[*((p, p.name) for p in paths), (other, other.name)],
            family="pharmacovigilance",
            user=None,
        )
    # The raw files already received are kept.
    assert Upload.objects.filter(original_name=NAMES["cases"]).exists()


def test_another_directorate_cannot_upload_an_extract_of_the_family(
    tmp_path: Path, media: Path, personas: dict[str, Any]
) -> None:
    paths = write_small_extract(tmp_path)
    with pytest.raises(PermissionRefused):
        extract_create(
            sources=[(p, p.name) for p in paths],
            family="pharmacovigilance",
            user=personas["inspection_declarant"],
        )
    assert not Upload.objects.exists()


def test_the_mapping_of_every_table_is_one_versioned_profile(
    tmp_path: Path, media: Path
) -> None:
    paths = write_small_extract(tmp_path)
    extract = extract_create(
        sources=[(p, p.name) for p in paths], family="pharmacovigilance", user=None
    )
    spec = extract_mapping_suggest(extract=extract).spec
    first = mapping_parts_save(
        family="pharmacovigilance", name="BNPV", spec=spec, user=None
    )
    again = mapping_parts_save(
        family="pharmacovigilance", name="BNPV", spec=spec, user=None
    )
    assert again.pk == first.pk and first.version == 1
    spec["parts"]["drugs"]["columns"]["TYPE"] = ""
    second = mapping_parts_save(
        family="pharmacovigilance", name="BNPV", spec=spec, user=None
    )
    assert (
        second.version == 2 and MappingProfile.objects.filter(name="BNPV").count() == 2
    )
    assert "TYPE" not in second.spec["parts"]["drugs"]["columns"]
    with pytest.raises(ApplicationError):
        mapping_parts_save(
            family="pharmacovigilance",
            name="BNPV",
            spec={"parts": {"drugs": {"columns": {"INCONNUE": "x"}}}},
            user=None,
        )
