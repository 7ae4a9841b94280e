"""What a version's screens and files report: the diff by natural key and the quality
workbook (issues with raw values, formulas neutralised)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from datasets import reports, selectors
from datasets.families import get_family
from tests.datasets.conftest import HEADER, write_csv
from tests.factories.extracts import MIXED_ROWS, ingest_file
from workflows.selectors import comparison_baseline

pytestmark = pytest.mark.django_db


def test_the_diff_counts_rows_added_removed_and_changed_by_natural_key(
    tmp_path: Path, media: Path
) -> None:
    first = ingest_file(write_csv(tmp_path / "a.csv", HEADER + MIXED_ROWS))
    changed = MIXED_ROWS.replace("21-3;fermé", "21-3;ouvert").replace("21-4", "21-5")
    second = ingest_file(write_csv(tmp_path / "b.csv", HEADER + changed))
    baseline, is_live = comparison_baseline(second)
    assert baseline == first and not is_live
    diff = selectors.version_diff(second, baseline)
    assert len(diff["added"]) == 1 and len(diff["removed"]) == 1
    assert len(diff["changed"]) == 1
    assert diff["per_column"] == [("État", 1)]


def test_the_quality_workbook_lists_issues_with_raw_values_and_neutralises_formulas(
    tmp_path: Path, media: Path
) -> None:
    hostile = (
        HEADER + '21-9;ouvert;;01/02/2024;;"=HYPERLINK(""http://x"")"\n' + MIXED_ROWS
    )
    version = ingest_file(write_csv(tmp_path / "a.csv", hostile))
    book = load_workbook(io.BytesIO(reports.quality_report_xlsx(version)))
    assert book.sheetnames == ["Synthèse", "Problèmes", "Complétude"]
    rows = list(book["Problèmes"].iter_rows(values_only=True))
    header, first = rows[0], rows[1]
    assert header[:6] == ("Ligne", "Champ", "Valeur", "Règle", "Gravité", "Message")
    assert first[0] == 2 and first[3] == "REQUIRED" and first[4] == "Bloquant"
    # Fields are named as the agents know them, and the header stays in view.
    fields = {str(spec.label): spec.name for spec in get_family("shortages").fields}
    assert fields[first[1]] == "classification"
    assert book["Problèmes"].freeze_panes == "A2"
    assert first[header.index("Spécialité")] == '\'=HYPERLINK("http://x")'
    assert all(not str(c).startswith("=") for row in rows for c in row if c is not None)
