"""Datasets services on the real shortage files and on small hand-made extracts:
upload (refusals, deduplication, immutability), mapping, cleaning, matching
decisions, re-matching, comparison and the quality workbook."""

from __future__ import annotations

import hashlib
import io
import json
import stat
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count
from openpyxl import load_workbook

from backoffice.exceptions import ApplicationError, PermissionRefused
from datasets import reports, selectors, services
from datasets.families import get_family
from datasets.models import (
    DatasetVersion,
    Issue,
    MappingProfile,
    MatchDecision,
    ProblemRow,
    ShortageRecord,
    Upload,
)
from datasets.pipeline.mapping import MappingSpec
from datasets.services import loading
from referential_admin.models import Alias
from tasks.models import JobRun
from tasks.services import job_run_inline
from tests.datasets.conftest import (
    BDPM_DISPO,
    DISPOMED_CSV,
    DISPOMED_XLSX,
    DOLIPRANE,
    HEADER,
    SCRAPE_2021,
    SCRAPE_2024,
    write_csv,
)
from tests.referential_admin.conftest import cut_snapshot
from workflows.selectors import comparison_baseline

pytestmark = pytest.mark.django_db


def ingest(path: Path, **kwargs: Any) -> DatasetVersion:
    return services.extract_ingest(path=path, family="shortages", user=None, **kwargs)


def methods(version: DatasetVersion) -> dict[str, str]:
    return dict(
        ShortageRecord.objects.filter(version=version).values_list(
            "product_name", "match_method"
        )
    )


# -- Real files --------------------------------------------------------------------


def test_the_consolidated_csv_is_read_mapped_cleaned_and_loaded(
    real_shortages: Path, media: Path
) -> None:
    version = ingest(DISPOMED_CSV)
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
    version = ingest(path)
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
    version = ingest(DISPOMED_XLSX, sheet="data_short")
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
    version = ingest(write_csv(tmp_path / "a.csv", HEADER + _spread_duplicates()))
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
    version = ingest(BDPM_DISPO, profile_name="BDPM – CIS_CIP_Dispo_Spec")
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


# -- Refusals ----------------------------------------------------------------------

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


# -- Mapping -----------------------------------------------------------------------


def profiled(tmp_path: Path, text: str, name: str = "extrait.csv") -> Upload:
    path = write_csv(tmp_path / name, text)
    upload, _created = services.upload_create(
        source=path, name=name, family="shortages", user=None, inline=True
    )
    assert upload.status == Upload.Status.PROFILED, upload.error
    return upload


def test_a_mapping_missing_a_required_field_is_refused_with_its_name(
    tmp_path: Path, media: Path
) -> None:
    upload = profiled(tmp_path, HEADER + "21-1;ouvert;rupture;01/01/2024;;X\n")
    profile = services.mapping_save(
        family="shortages",
        name="Incomplet",
        spec=MappingSpec(
            columns={"product_name": "Spécialité", "declared_on": "Date de déclaration"}
        ),
        columns=[c["name"] for c in upload.columns],
        user=None,
    )
    with pytest.raises(ApplicationError) as info:
        services.version_create(upload=upload, mapping=profile, user=None)
    assert "« Classification »" in info.value.message
    assert not DatasetVersion.objects.exists()


def test_saving_a_changed_mapping_creates_a_new_version_and_an_unchanged_one_does_not(
    tmp_path: Path, media: Path
) -> None:
    columns = ["Classification", "Spécialité", "Date de déclaration"]
    spec = MappingSpec(
        columns={
            "classification": "Classification",
            "product_name": "Spécialité",
            "declared_on": "Date de déclaration",
        }
    )
    first = services.mapping_save(
        family="shortages", name="TrustMed", spec=spec, columns=columns, user=None
    )
    same = services.mapping_save(
        family="shortages", name="TrustMed", spec=spec, columns=columns, user=None
    )
    spec.value_maps = {"classification": {"Pénurie": "rupture"}}
    second = services.mapping_save(
        family="shortages", name="TrustMed", spec=spec, columns=columns, user=None
    )
    assert (first.version, same.pk, second.version) == (1, first.pk, 2)
    assert MappingProfile.objects.get(pk=first.pk).spec["value_maps"] == {}
    with pytest.raises(ApplicationError, match="ne sont pas des valeurs"):
        spec.value_maps = {"classification": {"x": "inconnu"}}
        services.mapping_save(
            family="shortages", name="TrustMed", spec=spec, columns=columns, user=None
        )


# -- Matching decisions, re-matching, comparison -----------------------------------

ROWS = (
    "21-1;ouvert;Rupture de stock;01/02/2024;3400935955838;\n"
    "21-2;ouvert;Rupture de stock;02/02/2024;;Produit maison XYZ\n"
    "21-3;fermé;Risque de rupture de stock;03/02/2024;;Produit maison XYZ\n"
    "21-4;ouvert;Rupture de stock;04/02/2024;;Préparation hospitalière ABC\n"
)


def test_a_decision_updates_every_identical_label_and_is_reused_on_the_next_upload(
    tmp_path: Path, media: Path, small_referential: None, personas: dict[str, Any]
) -> None:
    user = personas["inspection_declarant"]
    version = ingest(write_csv(tmp_path / "a.csv", HEADER + ROWS))
    assert version.match_counts["exact"] == 1 and version.match_counts["unmatched"] == 3
    queue = list(selectors.review_queue(version))
    assert [(q["label"], q["rows"]) for q in queue] == [
        ("Produit maison XYZ", 2),
        ("Préparation hospitalière ABC", 1),
    ]
    decision = services.match_decide(
        version=version, key="produit maison xyz", cis=DOLIPRANE, user=user
    )
    assert decision.rows_updated == 2 and decision.decided_by == user
    services.match_decide(
        version=version, key="preparation hospitaliere abc", cis=None, user=user
    )
    version.refresh_from_db()
    assert version.match_counts == {
        "exact": 1,
        "alias": 2,
        "fuzzy": 0,
        "ambiguous": 0,
        "unmatched": 0,
        "excluded": 1,
    }
    assert "MEDICINE_UNMATCHED" not in version.issue_counts
    assert not list(selectors.review_queue(version))
    assert Alias.objects.get(label="Produit maison XYZ").speciality_id == DOLIPRANE
    assert Alias.objects.get(label="Préparation hospitalière ABC").speciality_id is None

    later = ingest(write_csv(tmp_path / "b.csv", HEADER + ROWS.replace("2024", "2025")))
    assert methods(later) == {
        None: "code",
        "Produit maison XYZ": "alias",
        "Préparation hospitalière ABC": "excluded",
    }


def test_a_decision_for_one_row_leaves_the_others_in_the_queue(
    tmp_path: Path, media: Path, small_referential: None, personas: dict[str, Any]
) -> None:
    version = ingest(write_csv(tmp_path / "a.csv", HEADER + ROWS))
    row = (
        ShortageRecord.objects.filter(
            version=version, product_name="Produit maison XYZ"
        )
        .order_by("row_number")
        .first()
    )
    assert row is not None
    decision = services.match_decide(
        version=version,
        key="produit maison xyz",
        cis=DOLIPRANE,
        user=personas["inspection_declarant"],
        scope=MatchDecision.Scope.ROW,
        row_number=row.row_number,
    )
    assert decision.rows_updated == 1 and decision.alias is None
    assert not Alias.objects.exists()
    assert [q["rows"] for q in selectors.review_queue(version)] == [1, 1]


def test_an_unknown_cis_is_refused(
    tmp_path: Path, media: Path, small_referential: None, personas: dict[str, Any]
) -> None:
    version = ingest(write_csv(tmp_path / "a.csv", HEADER + ROWS))
    with pytest.raises(ApplicationError, match="12345678"):
        services.match_decide(
            version=version,
            key="produit maison xyz",
            cis="12345678",
            user=personas["inspection_declarant"],
        )


def test_rematching_applies_aliases_created_since_the_cleaning(
    tmp_path: Path, media: Path, small_referential: None
) -> None:
    from referential_admin.models import Speciality
    from referential_admin.services import alias_save

    version = ingest(write_csv(tmp_path / "a.csv", HEADER + ROWS))
    alias_save(
        label="produit MAISON xyz",
        family="",
        speciality=Speciality.objects.get(cis=DOLIPRANE),
        user=None,
    )
    counts = services.version_rematch(version=version)
    assert counts["alias"] == 2 and counts["unmatched"] == 1
    assert set(
        ShortageRecord.objects.filter(
            version=version, match_method="alias"
        ).values_list("matched_cis", flat=True)
    ) == {DOLIPRANE}


def test_the_diff_counts_rows_added_removed_and_changed_by_natural_key(
    tmp_path: Path, media: Path
) -> None:
    first = ingest(write_csv(tmp_path / "a.csv", HEADER + ROWS))
    changed = ROWS.replace("21-3;fermé", "21-3;ouvert").replace("21-4", "21-5")
    second = ingest(write_csv(tmp_path / "b.csv", HEADER + changed))
    baseline, is_live = comparison_baseline(second)
    assert baseline == first and not is_live
    diff = selectors.version_diff(second, baseline)
    assert len(diff["added"]) == 1 and len(diff["removed"]) == 1
    assert len(diff["changed"]) == 1
    assert diff["per_column"] == [("État", 1)]


def test_the_quality_workbook_lists_issues_with_raw_values_and_neutralises_formulas(
    tmp_path: Path, media: Path
) -> None:
    hostile = HEADER + '21-9;ouvert;;01/02/2024;;"=HYPERLINK(""http://x"")"\n' + ROWS
    version = ingest(write_csv(tmp_path / "a.csv", hostile))
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


# -- Command -----------------------------------------------------------------------


def test_the_ingest_command_prints_one_json_line(
    tmp_path: Path, media: Path, capsys: Any, small_referential: None
) -> None:
    path = write_csv(tmp_path / "a.csv", HEADER + ROWS)
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
            str(write_csv(tmp_path / "a.csv", HEADER + ROWS)),
            "--kind",
            "shortages",
            "--profile",
            "Inconnu",
        )


def test_the_demo_extract_is_ingested_once(media: Path) -> None:
    from datasets import demo
    from referential_admin import demo as referential_demo

    referential_demo.load()
    first = demo.load()
    again = demo.load()
    version = DatasetVersion.objects.get()
    assert "Version 1" in first[0] and "déjà chargé" in again[0]
    assert version.mapping.name == demo.PRESET
    # The demo referential keeps every speciality of the availability file.
    assert version.match_counts["exact"] > 0.95 * version.rows_loaded


def test_a_cleaning_job_ends_with_errors_only_for_refused_rows(
    tmp_path: Path, media: Path
) -> None:
    repeated = ingest(write_csv(tmp_path / "a.csv", HEADER + ROWS + ROWS))
    run = job_run_inline(
        kind="datasets.clean", params={"version_id": repeated.pk}, user=None
    )
    # Four rows left out as duplicates of later rows: expected, not errors.
    assert run.result["rows_rejected"] == 4
    assert run.status == JobRun.Status.DONE
    refused = ingest(
        write_csv(tmp_path / "b.csv", HEADER + ROWS + "21-9;ouvert;;01/02/2024;;X\n")
    )
    run = job_run_inline(
        kind="datasets.clean", params={"version_id": refused.pk}, user=None
    )
    assert run.result["rows_rejected"] == 1
    assert run.status == JobRun.Status.DONE_WITH_ERRORS
