"""The ingest command (one JSON line, the French reason of a refusal) and the demo
extract."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from datasets.models import DatasetVersion
from tests.datasets.conftest import HEADER, write_csv
from tests.factories.extracts import MIXED_ROWS

pytestmark = pytest.mark.django_db


def test_the_ingest_command_prints_one_json_line(
    tmp_path: Path, media: Path, capsys: Any, small_referential: None
) -> None:
    path = write_csv(tmp_path / "a.csv", HEADER + MIXED_ROWS)
    call_command("ingest", str(path), "--kind", "shortages", "--json")
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["rows_read"] == 4 and summary["rows_loaded"] == 4
    assert summary["matches"]["exact"] == 1 and summary["matches"]["unmatched"] == 3
    assert summary["issues"] == {"MEDICINE_UNMATCHED": 3}
    assert set(summary) >= {"upload", "version", "rows_rejected", "seconds"}


def test_the_ingest_command_exits_with_the_french_reason_for_a_refused_file(
    tmp_path: Path, media: Path
) -> None:
    path = tmp_path / "vide.csv"
    path.write_bytes(b"")
    with pytest.raises(CommandError, match=r"vide\.csv est vide"):
        call_command("ingest", str(path), "--kind", "shortages")
    with pytest.raises(CommandError, match="Aucun profil de correspondance nommé"):
        call_command(
            "ingest",
            str(write_csv(tmp_path / "a.csv", HEADER + MIXED_ROWS)),
            "--kind",
            "shortages",
            "--profile",
            "Inconnu",
        )


def test_the_demo_extracts_are_ingested_once(media: Path) -> None:
    from datasets import demo
    from referential_admin import demo as referential_demo

    referential_demo.load()
    first = demo.load()
    again = demo.load()
    version = DatasetVersion.objects.get(family="shortages")
    assert "Version 1" in first[0] and "déjà chargé" in again[0]
    assert version.mapping.name == demo.PRESET
    # The demo referential keeps every speciality of the availability file.
    assert version.match_counts["exact"] > 0.95 * version.rows_loaded
    # The generated pharmacovigilance extract, from the referential's names.
    cases = DatasetVersion.objects.get(family="pharmacovigilance")
    assert "Pharmacovigilance" in first[1] and "déjà chargé" in again[1]
    assert 3000 < cases.assembly["cases"] < demo.DEMO_CASES
    assert cases.assembly["old_versions"] > 0 and cases.assembly["foreign"] > 0
    # Speciality texts are named as the referential names them.
    assert cases.match_counts["exact"] > 0.3 * cases.rows_loaded
