"""Matching against the database referential, with the aliases people recorded."""

from __future__ import annotations

from typing import Any

import pytest

from referential_admin.selectors import match_labels_for_family
from referential_admin.services import alias_save, referential_import
from tests.referential_admin.conftest import first_cis

pytestmark = pytest.mark.django_db


def test_cascade_codes_aliases_names_and_exclusions(
    snapshot_factory: Any, personas: dict[str, Any]
) -> None:
    referential_import(
        directory=snapshot_factory("m", [*first_cis(200), "60234100", "69309629"])
    )
    from referential_admin.models import Speciality

    alias_save(
        label="Doli 1g comprimés boîte",
        speciality=Speciality.objects.get(cis="60234100"),
        user=personas["inspection_declarant"],
        family="shortages",
    )
    alias_save(  # shared by every family: the Data Office's
        label="Produit étranger importé",
        speciality=None,
        user=personas["data_office"],
    )
    labels = [
        "DOLI 1G COMPRIMES BOITE",
        "doliprane 1000mg gelule",
        None,
        "Produit etranger importe",
        "zzzz inconnu",
    ]
    codes = [None, None, "3400935955838", None, None]
    result = match_labels_for_family(labels, codes, family="shortages")
    assert list(result["method"]) == ["alias", "exact", "code", "excluded", "unmatched"]
    assert list(result["cis"])[:3] == ["60234100", "69309629", "60234100"]
    assert result["auto_accepted"].tolist()[:3] == [True, True, True]
    # The alias belongs to the shortages family only.
    other = match_labels_for_family(
        ["DOLI 1G COMPRIMES BOITE"], family="pharmacovigilance"
    )
    assert other.loc[0, "method"] != "alias"
