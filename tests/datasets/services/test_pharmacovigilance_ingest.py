"""A pharmacovigilance extract of three tables, end to end through the ingest
command: its parts recognised and joined, its cases cleaned, its drug texts
matched, its problems reported with their counts."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from datasets.families import FAMILIES
from datasets.models import DatasetVersion, PharmacovigilanceRecord
from tests.factories.pharmacovigilance import write_small_extract

pytestmark = pytest.mark.django_db


def _ingest(paths: list[Path], capsys: Any) -> dict[str, Any]:
    call_command(
        "ingest", *[str(p) for p in paths], "--kind", "pharmacovigilance", "--json"
    )
    summary: dict[str, Any] = json.loads(
        capsys.readouterr().out.strip().splitlines()[-1]
    )
    return summary


def test_three_files_become_one_version_of_cases(
    tmp_path: Path, media: Path, capsys: Any, small_referential: None
) -> None:
    summary = _ingest(write_small_extract(tmp_path / "bnpv"), capsys)
    assert summary["rows_read"] == {"cases": 5, "effects": 7, "drugs": 6}
    assert summary["cases"] == 3
    assert summary["assembly"]["old_versions"] == 1
    assert summary["assembly"]["foreign"] == 1
    assert summary["assembly"]["age_recovered"] == 1
    assert summary["issues"]["PART_ORPHANS"] == 1
    assert summary["issues"]["SOC_UNKNOWN"] == 1
    version = DatasetVersion.objects.get(pk=summary["version"])
    assert version.extract is not None and version.extract.parts.count() == 3
    records = PharmacovigilanceRecord.objects.filter(version=version)
    by_case = {
        (r.case_id, r.drug_text or r.substance_text or r.brand_text): r for r in records
    }
    assert set(by_case) == {
        ("FR-1/A1", "DOLIPRANE 1000 mg, comprimé"),
        ("FR-1/A1", "PARACETAMOL"),
        ("FR-1/A2", "PARACÉTAMOL"),
        ("FR-2/A4", "DOLIPRANE 1000 mg, gélule"),
        ("FR-2/A4", "DOLIPRANE"),
    }
    first = by_case[("FR-1/A1", "DOLIPRANE 1000 mg, comprimé")]
    assert (first.case_version, first.sex, first.age, first.age_class) == (
        "2",
        "F",
        45,
        "20-59",
    )
    assert first.criteria == "HOSPI" and first.seriousness == "grave"
    assert first.socs == "Affections cardiaques|Affections du système nerveux"
    assert first.matched_cis == "60234100"
    # The record's row is the case's row in Cas-Patients (header on line 1).
    assert first.row_number == 3
    child = by_case[("FR-1/A2", "PARACÉTAMOL")]
    assert (child.age, child.age_class, child.substance_code) == (2, "0-19", "02202")
    unknown = by_case[("FR-2/A4", "DOLIPRANE 1000 mg, gélule")]
    assert (unknown.sex, unknown.age, unknown.age_class) == ("unknown", 73, "60+")
    assert unknown.socs == "" or unknown.socs is None
    # A brand (« Produit ») names the substances all its specialities share:
    # both DOLIPRANE of the referential are paracetamol alone.
    brand = by_case[("FR-2/A4", "DOLIPRANE")]
    assert (brand.drug_text, brand.substance_code) == (None, "02202")
    assert brand.matched_cis is None


def _rows(summary: dict[str, Any], name: str) -> dict[Any, dict[str, Any]]:
    table = summary["tables"][name]
    keys = table["keys"]
    return {
        tuple(row[k] for k in keys) if len(keys) > 1 else row[keys[0]]: row
        for row in table["rows"]
    }


def test_the_aggregates_command_counts_distinct_cases_and_hides_small_counts(
    tmp_path: Path,
    media: Path,
    capsys: Any,
    small_referential: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    version = _ingest(write_small_extract(tmp_path / "bnpv"), capsys)["version"]
    # At the real threshold every count of three cases is hidden.
    call_command("aggregates", str(version), "--json")
    hidden = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert hidden["family"] == "pharmacovigilance" and hidden["threshold"] == 11
    statuses = {
        row["status"] for table in hidden["tables"].values() for row in table["rows"]
    }
    assert statuses == {"suppressed"}
    assert all(
        row["n"] is None and row["pct"] is None
        for table in hidden["tables"].values()
        for row in table["rows"]
    )
    # With a threshold of 1 (nothing hidden) the true distinct counts show.
    schema = replace(FAMILIES["pharmacovigilance"], disclosure_threshold=1)
    monkeypatch.setitem(FAMILIES, "pharmacovigilance", schema)
    call_command("aggregates", str(version), "--json")
    shown = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert shown["tables"]["cases_total"]["rows"][0]["n"] == 3
    sexes = _rows(shown, "cases_by_sex")
    assert {k: r["n"] for k, r in sexes.items()} == {"F": 1, "M": 1, "unknown": 1}
    assert sexes["F"]["pct"] == 33.3
    ages = _rows(shown, "cases_by_age_class")
    assert {k: r["n"] for k, r in ages.items()} == {"0-19": 1, "20-59": 1, "60+": 1}
    # A case with two effects in one SOC counts once in it.
    socs = _rows(shown, "cases_by_soc")
    assert socs["Affections cardiaques"]["n"] == 2
    assert socs["Affections du système nerveux"]["n"] == 1
    years = _rows(shown, "cases_by_year")
    assert {str(k): r["n"] for k, r in years.items()} == {"2022": 1, "2023": 2}
    criteria = _rows(shown, "cases_by_criterion")
    assert {k: r["n"] for k, r in criteria.items()} == {"HOSPI": 1, "DECES": 1}
    # Paracetamol: A1 (speciality and substance texts: once), A2 and A4.
    substances = _rows(shown, "substance_cases")
    assert substances["02202"]["n"] == 3
    specialities = _rows(shown, "speciality_cases")
    assert {k: r["n"] for k, r in specialities.items()} == {
        "60234100": 1,
        "69309629": 1,
    }
    by_sex = _rows(shown, "substance_cases_by_sex")
    assert by_sex[("02202", "unknown")]["n"] == 1
    assert by_sex[("02202", "F")]["pct"] == 33.3
