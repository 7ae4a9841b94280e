"""Medication-error reports cleaned, every value computed by hand."""

from __future__ import annotations

import pandas as pd

from datasets.families.medication_errors.rules import (
    NOT_GIVEN,
    PLACES,
    clean_reports,
    coded,
)


def test_missing_codes_are_not_given_and_places_get_their_labels() -> None:
    raw = pd.Series(["ES", "ems", "HAD", "NR", "NI", "", None, "Cabinet"])
    places = coded(raw, PLACES)
    assert places.tolist() == [
        "Établissement de santé",
        "Établissement médico-social",
        "Hospitalisation à domicile",
        NOT_GIVEN,
        NOT_GIVEN,
        NOT_GIVEN,
        NOT_GIVEN,
        "Cabinet",  # unknown codes are kept as given, for the report
    ]


def test_a_report_missing_a_dimension_still_counts_in_the_others() -> None:
    frame = pd.DataFrame(
        {
            "denomination": ["DOLIPRANE 1000 mg, comprimé", "  ", "Advil"],
            "population_erreur": ["Adultes", "Enfant", "NR"],
            "gravite": ["Oui", "Non", "NI"],
            "effet_indesirable": ["Non", "Oui", ""],
            "lieu_erreur": ["HAD", "ES", "ES"],
            "nature_erreur": ["Erreur de dose", "NR", "Erreur de patient"],
        }
    )
    cleaned, counts = clean_reports(frame)
    assert counts["read"] == 3 and counts["no_denomination"] == 1
    assert cleaned["population_erreur"].tolist() == ["Adulte", NOT_GIVEN]
    assert cleaned["gravite"].tolist() == ["Grave", NOT_GIVEN]
    assert cleaned["effet_indesirable"].tolist() == [
        "Sans effet indésirable",
        NOT_GIVEN,
    ]
    assert cleaned["lieu_erreur"].tolist() == [
        "Hospitalisation à domicile",
        "Établissement de santé",
    ]
    assert cleaned["nature_erreur"].tolist() == ["Erreur de dose", "Erreur de patient"]
    # Absent from the extract: every report is « Non renseigné » there.
    assert cleaned["cause_erreur"].eq(NOT_GIVEN).all()
    assert counts["cause_erreur_not_given"] == 2
    assert counts["gravite_not_given"] == 1
    assert cleaned["medicine_key"].tolist() == ["doliprane 1000 mg comprime", "advil"]
