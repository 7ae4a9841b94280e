"""The pharmacovigilance cleaning rules on small hand-made cases, each expectation
computed by hand from DOMAIN.md's rules (and the earlier scripts' mistakes that
they fix)."""

from __future__ import annotations

import pandas as pd
import pytest

from datasets.families.pharmacovigilance import rules


def test_only_the_latest_version_of_a_case_counts_numerically() -> None:
    cases = pd.DataFrame(
        {
            "AER_ID": ["A", "A", "A", "B", "C", "C"],
            "CAS": ["1", "1", "1", "1", "1", "2"],
            "VER": ["9", "10", "2", "1", "x", "1"],
            "row": [0, 1, 2, 3, 4, 5],
        }
    )
    kept = rules.latest_versions(cases)
    # Version 10 comes after 9 (as text "9" > "10"); each other case keeps its own.
    assert kept["row"].tolist() == [1, 3, 4, 5]


def test_only_cases_occurring_and_declared_in_france_count() -> None:
    cases = pd.DataFrame(
        {
            "PAYS_SURVENUE": ["France", "FRANCE ", "Belgique", "France", None],
            "PAYS_CAS": ["France", "france", "France", "Espagne", "France"],
        }
    )
    assert rules.in_france(cases).tolist() == [True, True, False, False, False]


@pytest.mark.parametrize(
    ("age", "unit", "notified", "birth", "expected"),
    [
        ("45", "ANS", "01/02/2020", "", 45),
        ("45", "", "01/02/2020", "", 45),  # years are implicit
        ("0,5", "ANS", "01/02/2020", "", 0),  # decimal comma, half to even
        ("18", "MOIS", "01/02/2020", "", 2),  # 1.5 → 2
        ("30", "MOIS", "01/02/2020", "", 2),  # 2.5 → 2 (half to even, as R)
        ("3", "SEMAINES", "01/02/2020", "", 0),
        ("12", "JOURS", "01/02/2020", "", 0),
        ("5", "HEURES", "01/02/2020", "", 0),
        ("", "", "12/03/2021", "05/06/1950", 71),  # recovered from the years
        ("702", "ANS", "12/03/2021", "05/06/1950", 71),  # aberrant, then recovered
        ("702", "ANS", "12/03/2021", "", None),  # aberrant, nothing to recover
        ("", "", "12/03/2021", "05/06/1850", None),  # recovered but over 125
        ("", "", "12/03/2021", "05/06/2025", None),  # born after the notification
        ("40", "LUSTRES", "12/03/2021", "", None),  # a unit nobody knows
        ("", "", "//2021", "/06/1990", 31),  # partial dates keep their year
    ],
)
def test_ages_in_years(
    age: str, unit: str, notified: str, birth: str, expected: int | None
) -> None:
    years = rules.age_in_years(
        pd.Series([age]), pd.Series([unit]), pd.Series([notified]), pd.Series([birth])
    )
    value = years.iloc[0]
    assert (None if pd.isna(value) else int(value)) == expected


def test_age_classes_keep_unknown_ages() -> None:
    years = pd.Series([0, 19, 20, 59, 60, 125, None], dtype="Int64")
    assert rules.age_class(years).tolist() == [
        "0-19",
        "0-19",
        "20-59",
        "20-59",
        "60+",
        "60+",
        "unknown",
    ]
    decades = rules.decade_class(years).tolist()
    assert decades[:6] == [0, 10, 20, 50, 60, 90] and pd.isna(decades[6])


def test_a_missing_sex_is_unknown_not_dropped() -> None:
    assert rules.sex(pd.Series(["F", "m", "", None, "X"])).tolist() == [
        "F",
        "M",
        "unknown",
        "unknown",
        "unknown",
    ]


def test_every_english_soc_has_its_french_label_whatever_its_spelling() -> None:
    assert len(rules.SOC_FRENCH) == 27
    assert len(set(rules.SOC_FRENCH.values())) == 27
    raw = pd.Series(
        [
            "Nervous system disorders",
            "Injury poisoning and procedural complications",  # no commas
            "CARDIAC DISORDERS",
            "Affections du système nerveux",  # already French
            "Affections du systeme nerveux",  # without its accent
            "Troubles inventés",
            None,
        ]
    )
    labels, unknown = rules.french_soc(raw)
    assert labels.tolist()[:5] == [
        "Affections du système nerveux",
        "Lésions, intoxications et complications d'interventions",
        "Affections cardiaques",
        "Affections du système nerveux",
        "Affections du système nerveux",
    ]
    assert pd.isna(labels.iloc[5]) and pd.isna(labels.iloc[6])
    assert unknown.tolist() == [False, False, False, False, False, True, False]


def test_a_case_counts_once_per_soc_and_once_per_hlt_within_it() -> None:
    effects = pd.DataFrame(
        {
            "AER_ID": ["A", "A", "A", "A", "B"],
            "CAS": ["1", "1", "1", "1", "1"],
            "soc": ["Affections cardiaques"] * 3 + [None, "Affections cardiaques"],
            "hlt": ["Arythmies", "Arythmies", "Cardiopathies", "X", "Arythmies"],
        }
    )
    socs = rules.case_socs(effects)
    assert socs.groupby("soc").size().to_dict() == {"Affections cardiaques": 2}
    hlts = rules.case_hlts(effects).groupby("hlt").size().to_dict()
    assert hlts == {"Arythmies": 2, "Cardiopathies": 1}


def test_notifiers_are_published_under_the_sites_types() -> None:
    raw = pd.Series(
        [
            "Infirmière",
            "Non professionnel de santé",
            "MEDECIN GENERALISTE",
            None,
            "Avocat",
        ]
    )
    types, unmapped = rules.notifier(raw)
    assert types.tolist() == [
        "Infirmier",
        "Patient",
        "Médecin généraliste",
        "Inconnu",
        "Inconnu",
    ]
    assert unmapped.tolist() == [False, False, False, False, True]


def test_seriousness_and_its_criteria() -> None:
    cases = pd.DataFrame(
        {"GRAVE": ["OUI", "NON", "", "oui"], "DECES": ["OUI", "", None, "NON"]}
    )
    assert rules.seriousness(cases["GRAVE"]).tolist() == [
        "grave",
        "non_grave",
        "unknown",
        "grave",
    ]
    flags = rules.criteria(cases)
    assert list(flags.columns) == list(rules.CRITERIA)
    assert flags["DECES"].tolist() == [True, False, False, False]
    assert not flags["HOSPI"].any()  # absent from the extract: never true
