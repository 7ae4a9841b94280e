"""A newer snapshot: the right specialities appear, disappear and change, and
withdrawn rows are kept."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from backoffice.exceptions import ApplicationError
from referential_admin.models import (
    Presentation,
    ReferentialChange,
    ReferentialImport,
    Speciality,
)
from referential_admin.services import referential_import
from tests.referential_admin.conftest import first_cis

pytestmark = pytest.mark.django_db
Kind = ReferentialChange.Kind


def _edit(path: Path, edits: dict[str, tuple[int, str]], encoding: str) -> None:
    """Replace column ``i`` of the line of each CIS with a new value."""
    lines = path.read_bytes().decode(encoding).split("\n")
    for number, line in enumerate(lines):
        fields = line.split("\t")
        if fields[0] in edits:
            column, value = edits[fields[0]]
            fields[column] = value
            lines[number] = "\t".join(fields)
    path.write_bytes("\n".join(lines).encode(encoding))


def _append_copies(path: Path, sources: dict[str, str], encoding: str) -> None:
    """Append a copy of the line of each source CIS under a new CIS code."""
    text = path.read_bytes().decode(encoding)
    extra = [
        "\t".join([new, *line.split("\t")[1:]])
        for line in text.split("\n")
        if line and line.split("\t")[0] in sources
        for new in [sources[line.split("\t")[0]]]
    ]
    path.write_bytes((text + "\n".join(extra) + "\n").encode(encoding))


def test_a_second_snapshot_yields_the_right_changes(snapshot_factory: Any) -> None:
    codes = first_cis(300)
    first = snapshot_factory("first", codes)
    report = referential_import(directory=first)
    assert report.counts["specialities"].created == 300

    removed = codes[:5]
    renamed, status, holder = codes[10:13], codes[20:22], codes[30:32]
    new_codes = {codes[40]: "99999901", codes[41]: "99999902"}
    second = snapshot_factory("second", [c for c in codes if c not in removed])
    cis_file = second / "CIS_bdpm.txt"
    _edit(cis_file, {c: (1, f"NOUVEAU NOM {c}, comprimé") for c in renamed}, "cp1252")
    _edit(cis_file, dict.fromkeys(status, (6, "Non commercialisée")), "cp1252")
    _edit(cis_file, dict.fromkeys(holder, (10, " LABORATOIRE NOUVEAU’S")), "cp1252")
    _append_copies(cis_file, new_codes, "cp1252")

    report = referential_import(directory=second)
    imp = report.referential_import
    counts = report.counts["specialities"]
    assert (counts.created, counts.withdrawn) == (2, 5)
    assert counts.updated == len(renamed) + len(status) + len(holder)

    def changed(kind: str) -> set[str]:
        return set(imp.changes.filter(kind=kind).values_list("cis", flat=True))

    assert changed(Kind.APPEARED) == set(new_codes.values())
    assert changed(Kind.WITHDRAWN) == set(removed)
    assert changed(Kind.RENAMED) == set(renamed)
    assert changed(Kind.STATUS) == set(status)
    assert changed(Kind.HOLDER) == set(holder)
    rename = imp.changes.get(kind=Kind.RENAMED, cis=renamed[0])
    assert rename.new_value == f"NOUVEAU NOM {renamed[0]}, comprimé"
    assert rename.old_value != rename.new_value

    # Withdrawn specialities are kept and marked; their presentations too.
    gone = Speciality.objects.filter(cis__in=removed)
    assert gone.count() == 5 and all(s.is_withdrawn for s in gone)
    assert all(
        p.is_withdrawn for p in Presentation.objects.filter(speciality_id__in=removed)
    )
    assert Speciality.objects.active().count() == 297
    holder_names = Speciality.objects.get(cis=holder[0]).holders.values_list(
        "name", flat=True
    )
    assert list(holder_names) == ["LABORATOIRE NOUVEAU’S"]

    # Back to the first snapshot: the withdrawn come back, nothing is duplicated.
    report = referential_import(directory=first)
    assert report.counts["specialities"].withdrawn == 2
    assert Speciality.objects.active().count() == 300
    assert Speciality.objects.count() == 302
    assert ReferentialImport.objects.count() == 3


def test_a_folder_without_bdpm_files_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("rien", encoding="utf-8")
    with pytest.raises(ApplicationError, match=r"Aucun fichier|No BDPM file"):
        referential_import(directory=tmp_path)
    assert ReferentialImport.objects.get().status == ReferentialImport.Status.FAILED


def test_bad_lines_are_reported_and_the_import_goes_on(tmp_path: Path) -> None:
    good = "\t".join(
        [
            "61266250",
            "A 313, pommade",
            "pommade",
            "cutanée",
            "Autorisation active",
            "Procédure nationale",
            "Commercialisée",
            "12/03/1998",
            "",
            "",
            " PHARMA",
            "Non",
        ]
    )
    lines = [
        good,
        "1234\tCODE COURT, comprimé\tcomprimé\torale\tA\tB\tC\t01/01/2000\t\t\t X\tNon",
        "62869109\tTROP PEU DE CHAMPS",
        good.replace("61266250", "62869109").replace("12/03/1998", "31/02/1997"),
        "\r",
    ]
    (tmp_path / "CIS_bdpm.txt").write_bytes("\r\n".join(lines).encode("cp1252"))
    report = referential_import(directory=tmp_path)
    rejected = report.referential_import.rejected_lines
    assert [r["line"] for r in rejected] == [2, 3, 4, 5]
    assert "CIS" in rejected[0]["reason"]
    assert Speciality.objects.count() == 1
    assert report.referential_import.status == ReferentialImport.Status.DONE_WITH_ERRORS


def test_the_daily_drop_folder_is_imported_once_per_new_set(
    snapshot_factory: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from referential_admin.services import referential_refresh_from_drop_dir
    from tasks.models import JobRun

    folder = snapshot_factory("drop", first_cis(50))
    settings.BDPM_DROP_DIR = str(folder)
    with django_capture_on_commit_callbacks(execute=True):
        run = referential_refresh_from_drop_dir()
    assert run is not None
    run.refresh_from_db()
    assert run.kind == "referential.import"
    assert run.status in (JobRun.Status.DONE, JobRun.Status.DONE_WITH_ERRORS)
    assert run.result["specialities"] == 50
    assert Speciality.objects.count() == 50
    # Same files the next morning: no new job.
    assert referential_refresh_from_drop_dir() is None
    # A new file set: a new job.
    (folder / "CIS_CPD_bdpm.txt").write_bytes(b"")
    with django_capture_on_commit_callbacks(execute=True):
        assert referential_refresh_from_drop_dir() is not None
    settings.BDPM_DROP_DIR = ""
    assert referential_refresh_from_drop_dir() is None


def test_an_empty_file_withdraws_nothing(snapshot_factory: Any) -> None:
    from referential_admin.models import AvailabilityStatus

    codes = [*first_cis(30), "61436304", "68572748"]
    folder = snapshot_factory("with-dispo", codes)
    referential_import(directory=folder)
    before = AvailabilityStatus.objects.active().count()
    assert before > 0
    (folder / "CIS_CIP_Dispo_Spec.txt").write_bytes(b"")
    report = referential_import(directory=folder)
    assert AvailabilityStatus.objects.active().count() == before
    assert "availability" not in report.counts
    assert any(
        "aucune ligne valide" in w or "no valid line" in w
        for w in report.referential_import.warnings
    )
