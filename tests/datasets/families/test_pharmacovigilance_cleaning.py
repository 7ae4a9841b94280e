"""A small BNPV extract cleaned at case level, every count computed by hand."""

from __future__ import annotations

import pandas as pd

from datasets.families.pharmacovigilance.cleaning import EXTRACT, clean_extract
from datasets.families.pharmacovigilance.rules import CRITERIA
from datasets.families.pharmacovigilance.tables import case_tables

#: A French case of a 45-year-old woman, not serious, reported by a pharmacist;
#: each case below changes only what it is about.
BASE = {
    "AER_ID": "A", "CAS": "1", "VER": "1", "NOTIF": "01/02/2020", "SEXE": "F",
    "AGE": "45", "U_AGE": "ANS", "DATE_NAISS": "", "TYP_NOTIF": "Pharmacien",
    "GRAVE": "NON", "PAYS_SURVENUE": "France", "PAYS_CAS": "France",
    **dict.fromkeys(CRITERIA, ""),
}  # fmt: skip


def frames() -> dict[str, pd.DataFrame]:
    cases = pd.DataFrame(
        [
            {**BASE, "GRAVE": "OUI", "DECES": "OUI"},
            {**BASE, "VER": "2", "AGE": "46", "GRAVE": "OUI", "DECES": "OUI"},
            {**BASE, "AER_ID": "B", "PAYS_SURVENUE": "Belgique"},
            {
                **BASE,
                "AER_ID": "C",
                "NOTIF": "10/10/2020",
                "SEXE": "",
                "AGE": "",
                "U_AGE": "",
                "DATE_NAISS": "01/01/1980",
                "TYP_NOTIF": "",
            },
            {
                **BASE,
                "AER_ID": "D",
                "NOTIF": "10/10/2021",
                "SEXE": "M",
                "AGE": "6",
                "U_AGE": "MOIS",
                "TYP_NOTIF": "Avocat",
            },
        ]
    )
    effects = pd.DataFrame(
        [
            ("A", "1", "1", "Cardiac disorders", "Arythmies"),  # old version
            ("A", "1", "2", "Cardiac disorders", "Arythmies"),
            ("A", "1", "2", "Affections cardiaques", "Arythmies"),  # same SOC, HLT
            ("A", "1", "2", "Nervous system disorders", "Céphalées"),
            ("C", "1", "1", "Troubles inventés", ""),
            ("Z", "9", "1", "Cardiac disorders", "Arythmies"),  # no such case
        ],
        columns=["AER_ID", "CAS", "VER", "EFFET_SOC", "EFFET_HLT"],
    )
    drugs = pd.DataFrame(
        [
            ("A", "1", "2", "DOLIPRANE", "Produit"),
            ("A", "1", "2", "DOLIPRANE", "Produit"),  # twice in one case
            ("C", "1", "1", "PARACETAMOL", "Substance"),
            ("D", "1", "1", "", ""),
        ],
        columns=["AER_ID", "CAS", "VER", "MEDICAMENT", "TYPE"],
    )
    return {"cases": cases, "effects": effects, "drugs": drugs}


def test_a_small_extract_is_cleaned_as_computed_by_hand() -> None:
    result = clean_extract(frames())
    assert result.counts == {
        "read": 5,
        "old_versions": 1,
        "foreign": 1,
        "cases": 3,
        "age_recovered": 1,
        "age_unknown": 0,
        "sex_unknown": 1,
        "notifier_unmapped": 1,
        "soc_unknown": 1,
        "drug_duplicates": 1,
    }
    cases = result.cases.set_index("AER_ID")
    assert cases["VER"].to_dict() == {"A": "2", "C": "1", "D": "1"}
    assert cases["age"].tolist() == [46, 40, 0]  # 6 months → 0.5 → 0 (half to even)
    assert cases["age_class"].tolist() == ["20-59", "20-59", "0-19"]
    assert cases["sex"].tolist() == ["F", "unknown", "M"]
    assert cases["notifier"].tolist() == ["Pharmacien", "Inconnu", "Inconnu"]
    assert cases["seriousness"].tolist() == ["grave", "non_grave", "non_grave"]
    assert cases["DECES"].tolist() == [True, False, False]
    assert cases["year"].tolist() == [2020, 2020, 2021]
    assert sorted(result.socs["soc"]) == [
        "Affections cardiaques",
        "Affections du système nerveux",
    ]
    assert len(result.hlts) == 2
    assert result.drugs["text"].tolist() == ["DOLIPRANE", "PARACETAMOL"]
    assert result.links.orphans == {"effects": 1, "drugs": 0}


def test_a_workbook_sheet_or_a_file_name_finds_its_part() -> None:
    assert EXTRACT.part("cases").matches("Cas - Patients")
    assert EXTRACT.part("cases").matches("20230216 - Cas-Patients.csv")
    assert not EXTRACT.part("notifiers").required


def _as_dict(table: pd.DataFrame, *keys: str) -> dict[object, int]:
    index = table[list(keys)].apply(tuple, axis=1) if len(keys) > 1 else table[keys[0]]
    return dict(zip(index, table["n"], strict=True))


def test_the_release_tables_count_cases_as_computed_by_hand() -> None:
    cleaned = clean_extract(frames())
    substances = pd.DataFrame(
        {
            "AER_ID": ["A", "A", "C"],
            "CAS": ["1", "1", "1"],
            "substance_code": ["02202", "02202", "02202"],  # A's two drugs: once
        }
    )
    tables = case_tables(cleaned, substances=substances)
    assert tables["cases_total"]["n"].tolist() == [3]
    assert _as_dict(tables["cases_by_sex"], "sex") == {"F": 1, "M": 1, "unknown": 1}
    assert _as_dict(tables["cases_by_year"], "year") == {2020: 2, 2021: 1}
    assert _as_dict(tables["cases_by_age_class"], "age_class") == {
        "20-59": 2,
        "0-19": 1,
    }
    assert _as_dict(tables["cases_by_criterion"], "criterion") == {"DECES": 1}
    assert _as_dict(tables["cases_by_soc"], "soc") == {
        "Affections cardiaques": 1,
        "Affections du système nerveux": 1,
    }
    # A's arrhythmia, declared twice (in English and French), counts once;
    # C's unknown SOC has no HLT.
    assert _as_dict(tables["cases_by_hlt"], "soc", "hlt") == {
        ("Affections cardiaques", "Arythmies"): 1,
        ("Affections du système nerveux", "Céphalées"): 1,
    }
    assert _as_dict(tables["substance_cases"], "substance_code") == {"02202": 2}
    assert _as_dict(tables["substance_cases_by_sex"], "substance_code", "sex") == {
        ("02202", "F"): 1,
        ("02202", "unknown"): 1,
    }
    assert "speciality_cases" not in tables  # no link given
