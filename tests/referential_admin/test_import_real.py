"""The whole real BDPM set: counts equal the files' records, characters survive,
and importing the same files again changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command

from referential_admin.models import (
    AvailabilityStatus,
    Composition,
    GenericGroupMember,
    MitmEntry,
    PrescriptionCondition,
    Presentation,
    ReferentialImport,
    Speciality,
)
from referential_admin.services import referential_import
from tests.referential_admin.conftest import REAL_BDPM

RECORDS = {
    Speciality: 15848,
    Presentation: 20874,
    Composition: 32389,
    GenericGroupMember: 10728,
    PrescriptionCondition: 28151,
    AvailabilityStatus: 766,
    MitmEntry: 7711,
}


@pytest.fixture(scope="module")
def real_import(django_db_setup: Any, django_db_blocker: Any) -> Iterator[Any]:
    """Import the real set once for the module (committed), clean up after."""
    with django_db_blocker.unblock():
        first = referential_import(directory=REAL_BDPM)
        second = referential_import(directory=REAL_BDPM)
        forced = referential_import(directory=REAL_BDPM, force=True)
        yield first, second, forced
        for model in (*RECORDS, ReferentialImport):
            model.objects.all().delete()


@pytest.mark.django_db
def test_counts_equal_the_files_records(real_import: Any) -> None:
    first, _second, _forced = real_import
    for model, expected in RECORDS.items():
        assert model.objects.count() == expected, model.__name__
    summary = first.summary()
    assert summary["specialities"] == 15848
    assert summary["presentations"] == 20874
    assert summary["compositions"] == 32389
    assert summary["availability"] == 766
    assert summary["mitm"] == 7711
    assert summary["rejected_lines"] == 3
    rejected = first.referential_import.rejected_lines
    assert {(r["file"], r["line"]) for r in rejected} == {
        ("CIS_CPD_bdpm.txt", 27673),
        ("CIS_CPD_bdpm.txt", 27675),
        ("CIS_CPD_bdpm.txt", 27677),
    }


@pytest.mark.django_db
def test_right_single_quote_and_accents_survive(real_import: Any) -> None:
    with_quote = Speciality.objects.filter(name__contains="’")
    assert with_quote.count() == 28
    assert not Speciality.objects.filter(name__regex="[\u0080-\u009f]").exists()
    assert Speciality.objects.filter(pharmaceutical_form="comprimé").exists()
    assert all(
        not h.startswith(" ")
        for h in Speciality.objects.values_list("holders_text", flat=True)
    )


@pytest.mark.django_db
def test_encodings_are_detected_per_file(real_import: Any) -> None:
    first, _second, _forced = real_import
    encodings = {f["name"]: f["encoding"] for f in first.referential_import.files}
    assert encodings["CIS_bdpm.txt"] == "cp1252"
    assert encodings["CIS_CIP_bdpm.txt"] == "utf-8"
    assert encodings["CIS_CIP_Dispo_Spec.txt"] == "latin-1"


@pytest.mark.django_db
def test_quirks_are_kept_and_reported(real_import: Any) -> None:
    from decimal import Decimal

    first, _second, _forced = real_import
    big = Presentation.objects.filter(price__gt=1000)
    assert big.exists()
    assert all(isinstance(p, Decimal) for p in big.values_list("price", flat=True))
    odd = Presentation.objects.get(cip13="3400955097891")
    assert odd.marketing_date is not None and odd.marketing_date.year == 2924
    warnings = " ".join(first.referential_import.warnings)
    assert "2924" in warnings
    assert "CIS_COMPO_bdpm.txt : 94 code(s) CIS absent(s)" in warnings
    # Codes missing from CIS_bdpm are kept, not dropped.
    orphans = Composition.objects.exclude(
        speciality_id__in=Speciality.objects.values("cis")
    )
    assert orphans.values("speciality_id").distinct().count() == 94


@pytest.mark.django_db
def test_reimporting_the_same_files_changes_nothing(real_import: Any) -> None:
    _first, second, forced = real_import
    # Same checksums: recorded without comparing rows.
    summary = second.summary()
    assert (summary["created"], summary["updated"], summary["withdrawn"]) == (0, 0, 0)
    assert summary["specialities"] == 15848
    assert not second.referential_import.changes.exists()
    # Forced: every row compared with the database, still nothing written.
    summary = forced.summary()
    assert (summary["created"], summary["updated"], summary["withdrawn"]) == (0, 0, 0)
    assert forced.counts["specialities"].unchanged == 15848
    assert not forced.referential_import.changes.exists()
    assert forced.referential_import.rejected_count == 3


@pytest.mark.django_db
def test_derived_fields_mitm_atc_holders_search(real_import: Any) -> None:
    from referential_admin.selectors import speciality_search

    mitm = Speciality.objects.filter(is_mitm=True)
    assert mitm.count() == 7711
    assert not mitm.filter(atc__isnull=True).exists()
    doliprane = speciality_search("doliprane 1000 comprime")
    assert "60234100" in set(doliprane.values_list("cis", flat=True))
    assert speciality_search("3400935955838").get().cis == "60234100"  # CIP13
    assert speciality_search("3595583").get().cis == "60234100"  # CIP7
    assert speciality_search("PARACETAMOL").count() > 100  # substance, no accent
    assert speciality_search("opella").filter(cis="60234100").exists()  # holder
    sp = Speciality.objects.get(cis="60234100")
    assert list(sp.holders.values_list("name", flat=True)) == [
        "OPELLA HEALTHCARE FRANCE"
    ]


@pytest.mark.django_db
def test_the_command_prints_one_json_object_last(real_import: Any, capsys: Any) -> None:
    import json

    call_command("referential_import", str(REAL_BDPM), "--json")
    last = capsys.readouterr().out.strip().splitlines()[-1]
    data = json.loads(last)
    assert set(data) == {
        "specialities",
        "presentations",
        "compositions",
        "generic_groups",
        "availability",
        "mitm",
        "created",
        "updated",
        "withdrawn",
        "rejected_lines",
        "seconds",
    }
    assert data["specialities"] == 15848 and data["created"] == 0
