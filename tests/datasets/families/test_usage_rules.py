"""Open Medic rules on a hand-made file: codes, sums over presentations, the
yearly mean and the exposure levels."""

from __future__ import annotations

import pandas as pd

from datasets.families.usage import rules

DOLIPRANE_8, DOLIPRANE_16 = "3400935955838", "3400936404915"
FILE = pd.DataFrame(
    {
        "CIP13": [DOLIPRANE_8, DOLIPRANE_8, DOLIPRANE_16, "340093", DOLIPRANE_16],
        "AGE": ["0", "20", "60", "99", "20"],
        "sexe": ["2", "1", "9", "2", "2"],
        "nbc": ["1 500", "300", "50", "7", "x"],
    }
)  # fmt: skip
LINK = pd.DataFrame(
    {
        "cip13": [DOLIPRANE_8, DOLIPRANE_16],
        "cis": ["60234100", "60234100"],  # two presentations of one speciality
    }
)


def test_codes_and_counts_are_read() -> None:
    rows = rules.patients(FILE, 2021)
    assert rows["age_class"].tolist() == ["0-19", "20-59", "60+", "unknown", "20-59"]
    assert rows["sex"].tolist() == ["F", "M", "unknown", "F", "F"]
    assert rows["patients"].tolist()[:4] == [1500, 300, 50, 7]
    assert pd.isna(rows["patients"].iloc[4])
    assert rows["cip13"].iloc[3] == "0000000340093"  # padded to 13 digits
    assert rules.year_of_file("NB_2021_cip13_age_sexe.csv") == 2021
    assert rules.year_of_file("autre.csv") is None


def test_patients_are_summed_over_presentations_and_averaged_per_year() -> None:
    rows = rules.patients(FILE, 2021)
    per_year = rules.treated(rows, LINK, "cis")
    assert per_year.to_dict("records") == [
        {"cis": "60234100", "year": 2021, "patients": 1850}
    ]
    by_sex = rules.treated(rows, LINK, "cis", ("sex",)).set_index("sex")["patients"]
    assert by_sex.to_dict() == {"F": 1500, "M": 300, "unknown": 50}
    mean = rules.yearly_mean(per_year, "cis", years=2)  # one year of two
    assert mean.to_dict() == {"60234100": 925.0}


def test_exposure_levels_use_the_2023_thresholds() -> None:
    means = pd.Series([None, 0, 199, 200, 8_999, 39_999, 40_000])
    levels = rules.exposure_level(means, rules.SPECIALITY_LEVELS).tolist()
    assert levels == [0, 1, 1, 2, 3, 4, 5]
    assert rules.exposure_level(
        pd.Series([600_000]), rules.SUBSTANCE_LEVELS
    ).tolist() == [5]
    assert rules.LEVEL_LABELS[3] == "Utilisation modérée"
