"""Cleaning and loading on the real shortage files and hand-made extracts: reading,
mapping, typing, matching, slices and threads, the ready-made BDPM profile, the
cleaning job's outcome."""

from __future__ import annotations

import hashlib
import stat
from pathlib import Path
from typing import Any

import pytest
from django.db.models import Count

from datasets import services
from datasets.models import DatasetVersion, Issue, ProblemRow, ShortageRecord
from datasets.services import loading
from tasks.models import JobRun
from tasks.services import job_run_inline
from tests.datasets.conftest import (
    BDPM_DISPO,
    DISPOMED_CSV,
    DISPOMED_XLSX,
    HEADER,
    SCRAPE_2021,
    SCRAPE_2024,
    write_csv,
)
from tests.factories.extracts import MIXED_ROWS, ingest_file
from tests.referential_admin.conftest import cut_snapshot

pytestmark = pytest.mark.django_db


def test_the_consolidated_csv_is_read_mapped_cleaned_and_loaded(
    real_shortages: Path, media: Path
) -> None:
    version = ingest_file(DISPOMED_CSV)
    assert version.status == DatasetVersion.Status.DRAFT
    assert (version.rows_read, version.rows_loaded, version.rows_rejected) == (
        933,
        929,
        4,
    )
    assert version.issue_counts["REQUIRED"] == 1  # the row without a status
    assert version.issue_counts["RETURN_BEFORE_START"] == 1
    assert version.issue_counts["DUPLICATE_KEY"] == 2
    assert ShortageRecord.objects.filter(version=version).count() == 929
    required = Issue.objects.get(version=version, code="REQUIRED")
    assert required.severity == "blocking"
    assert (
        required.message
        == "Le champ « Classification » est obligatoire et il est vide."
    )
    assert required.row_number is not None
    problem = ProblemRow.objects.get(version=version, row_number=required.row_number)
    assert problem.rejected and problem.raw["status"] == ""
    # Codes keep their form, dates are typed, vocabularies mapped.
    first = (
        ShortageRecord.objects.filter(version=version).order_by("row_number").first()
    )
    assert first is not None and first.row_number == 2
    assert first.classification == "risque" and first.atc == "J05AR04"
    assert str(first.started_on) == "2024-01-31"
    upload = version.upload
    assert upload.sha256 == hashlib.sha256(DISPOMED_CSV.read_bytes()).hexdigest()
    assert upload.detection["encoding"] == "utf-8-sig"
    assert Path(upload.file.path).read_bytes() == DISPOMED_CSV.read_bytes()
    assert not Path(upload.file.path).stat().st_mode & stat.S_IWUSR
    assert version.mapping.spec["columns"]["product_name"] == "normalized_name"


@pytest.mark.parametrize(("path", "rows"), [(SCRAPE_2021, 202), (SCRAPE_2024, 293)])
def test_the_scraped_ansm_lists_are_ingested(
    real_shortages: Path, media: Path, path: Path, rows: int
) -> None:
    version = ingest_file(path)
    assert version.rows_read == rows
    assert version.rows_loaded == rows
    statuses = set(
        ShortageRecord.objects.filter(version=version).values_list(
            "classification", flat=True
        )
    )
    assert statuses <= {"rupture", "risque", "arret", "remise"} and len(statuses) >= 3
    if path == SCRAPE_2024:
        # Nested JSON keys are flattened: the laboratory and the DCI are mapped.
        assert version.mapping.spec["columns"]["holder"].endswith(
            "Laboratoire exploitant"
        )
        assert version.completeness["substance"] == rows


def test_a_sheet_of_the_workbook_is_ingested_despite_its_xls_extension(
    real_shortages: Path, media: Path
) -> None:
    version = ingest_file(DISPOMED_XLSX, sheet="data_short")
    assert version.upload.format == "xlsx"
    assert version.upload.detection["sheet"] == "data_short"
    assert version.rows_read == 7005
    # The workbook repeats each shortage at every report date: same natural key.
    assert (
        version.issue_counts["DUPLICATE_ROW"] + version.issue_counts["DUPLICATE_KEY"]
        > 1000
    )
    assert version.rows_loaded + version.rows_rejected == 7005
    assert version.rows_loaded > 1000


def _cleaned_state(version: DatasetVersion) -> dict[str, Any]:
    version.refresh_from_db()
    return {
        "counts": (version.rows_read, version.rows_loaded, version.rows_rejected),
        "issue_counts": version.issue_counts,
        "match_counts": version.match_counts,
        "completeness": version.completeness,
        "blocking": version.blocking_issues,
        "records": sorted(
            ShortageRecord.objects.filter(version=version).values_list(
                "row_number", "record_key", "matched_cis", "match_method", "started_on"
            )
        ),
        "issues": sorted(
            Issue.objects.filter(version=version).values_list(
                "row_number", "code", "field", "message"
            )
        ),
        "problems": sorted(
            ProblemRow.objects.filter(version=version).values_list(
                "row_number", "rejected"
            )
        ),
    }


def _spread_duplicates() -> str:
    """40 declarations, then the same 40 again: the even ones identical, the odd
    ones with another date (same natural key); every fifth names an unknown
    medicine; one row lacks its classification."""
    lines = []
    for i in range(40):
        medicine = "3400935955838;" if i % 5 else ";Produit maison XYZ"
        lines.append(f"22-{i};ouvert;Rupture de stock;01/02/2024;{medicine}")
    for i in range(40):
        medicine = "3400935955838;" if i % 5 else ";Produit maison XYZ"
        day = "01" if i % 2 == 0 else "03"
        lines.append(f"22-{i};ouvert;Rupture de stock;{day}/02/2024;{medicine}")
    lines.append("22-99;ouvert;;01/02/2024;3400935955838;")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("threads", [1, 3])
def test_cleaning_in_slices_gives_the_same_version_as_in_one_go(
    tmp_path: Path,
    media: Path,
    small_referential: None,
    monkeypatch: pytest.MonkeyPatch,
    settings: Any,
    threads: int,
) -> None:
    """A big extract is cleaned, matched and loaded slice by slice, by one
    thread or several: rows repeated by a row of a later slice are removed
    again, and records, matches, issues and counts come out exactly as when the
    whole file is one slice."""
    settings.EXTRACT_CLEANING_THREADS = threads
    version = ingest_file(write_csv(tmp_path / "a.csv", HEADER + _spread_duplicates()))
    whole = _cleaned_state(version)
    assert whole["counts"] == (81, 40, 41)
    assert version.issue_counts["DUPLICATE_ROW"] == 20
    assert version.issue_counts["DUPLICATE_KEY"] == 20
    # Only the kept rows' unknown medicines wait for a person.
    assert version.match_counts["unmatched"] == 8
    assert version.issue_counts["MEDICINE_UNMATCHED"] == 8
    monkeypatch.setattr(loading, "FIRST_BATCH", 7)
    monkeypatch.setattr(loading, "LOAD_BATCH", 10)
    services.version_clean(version=version)
    sliced = _cleaned_state(version)
    assert sliced == whole
    kept = ShortageRecord.objects.filter(version=version)
    assert min(kept.values_list("row_number", flat=True)) == 42  # the later copies


def test_the_bdpm_availability_file_is_a_shortage_source_with_the_ready_made_profile(
    real_shortages: Path, media: Path, tmp_path: Path
) -> None:
    from referential_admin.services import referential_import

    # Three specialities listed in the availability file.
    listed = ["61436304", "68572748", "65643371"]
    referential_import(directory=cut_snapshot(tmp_path / "bdpm", listed), source="t")
    version = ingest_file(BDPM_DISPO, profile_name="BDPM – CIS_CIP_Dispo_Spec")
    assert version.upload.detection["header_row"] is None
    assert version.upload.detection["encoding"] == "latin-1"
    assert version.rows_read == 766
    loaded = ShortageRecord.objects.filter(version=version)
    counts = dict(
        loaded.order_by().values_list("classification").annotate(n=Count("pk"))
    )
    assert set(counts) == {"rupture", "risque", "arret", "remise"}
    assert sum(counts.values()) == version.rows_loaded
    assert version.rows_loaded + version.rows_rejected == 766
    # Codes give exact matches without any name; other CIS are unknown here.
    assert set(
        loaded.filter(match_method="code").values_list("matched_cis", flat=True)
    ) == set(listed)
    assert (
        version.match_counts["unmatched"]
        == version.rows_loaded - version.match_counts["exact"]
    )


def test_a_cleaning_job_ends_with_errors_only_for_refused_rows(
    tmp_path: Path, media: Path
) -> None:
    repeated = ingest_file(
        write_csv(tmp_path / "a.csv", HEADER + MIXED_ROWS + MIXED_ROWS)
    )
    run = job_run_inline(
        kind="datasets.clean", params={"version_id": repeated.pk}, user=None
    )
    # Four rows left out as duplicates of later rows: expected, not errors.
    assert run.result["rows_rejected"] == 4
    assert run.status == JobRun.Status.DONE
    refused = ingest_file(
        write_csv(
            tmp_path / "b.csv", HEADER + MIXED_ROWS + "21-9;ouvert;;01/02/2024;;X\n"
        )
    )
    run = job_run_inline(
        kind="datasets.clean", params={"version_id": refused.pk}, user=None
    )
    assert run.result["rows_rejected"] == 1
    assert run.status == JobRun.Status.DONE_WITH_ERRORS
