"""The rules of Open Medic files (``NB_YYYY_cip13_age_sexe``, DOMAIN.md §2.11,
§5.1, §8.10): one year per file (its name says which); age codes 0, 20, 60, 99
and sex codes 1, 2, 9; ``nbc`` counts the patients of a presentation.

Summing ``nbc`` over the presentations of a speciality or a substance counts a
patient once per distinct presentation bought in the year: the public pages say
so. The yearly mean is the sum over the period divided by its number of years;
the exposure level uses the 2023 site's thresholds. Pure.
"""

from __future__ import annotations

import re
from typing import Final

import numpy as np
import pandas as pd

UNKNOWN: Final = "unknown"
AGE_CLASSES: Final[dict[str, str]] = {
    "0": "0-19",
    "20": "20-59",
    "60": "60+",
    "99": UNKNOWN,
}
SEXES: Final[dict[str, str]] = {"1": "M", "2": "F", "9": UNKNOWN}
#: Upper bounds (exclusive) of levels 1 to 4; level 5 above (2023 site, §5.1).
SPECIALITY_LEVELS: Final = (200, 2_000, 9_000, 40_000)
SUBSTANCE_LEVELS: Final = (3_000, 20_000, 100_000, 600_000)
LEVEL_LABELS: Final = (
    "Utilisation inconnue",
    "Utilisation très faible",
    "Utilisation faible",
    "Utilisation modérée",
    "Utilisation élevée",
    "Utilisation très élevée",
)
_YEAR_IN_NAME: Final = re.compile(r"NB_(\d{4})_", re.IGNORECASE)


def year_of_file(name: str) -> int | None:
    """The year an Open Medic file's name gives (``NB_2021_cip13_age_sexe.csv``)."""
    found = _YEAR_IN_NAME.search(name)
    return int(found.group(1)) if found else None


def patients(frame: pd.DataFrame, year: int) -> pd.DataFrame:
    """One file's rows as ``year``, ``cip13`` (13-digit text), ``age_class``,
    ``sex`` and ``patients`` (integer; unreadable counts are NA). Unknown age and
    sex are kept (as ``unknown``), so that totals include them."""
    cip13 = frame["CIP13"].astype("string").str.strip().str.zfill(13)
    age = frame["AGE"].astype("string").str.strip().map(AGE_CLASSES).fillna(UNKNOWN)
    sex = frame["sexe"].astype("string").str.strip().map(SEXES).fillna(UNKNOWN)
    count = pd.to_numeric(
        frame["nbc"].astype("string").str.replace(r"[\s\u202f\u00a0]", "", regex=True),
        errors="coerce",
    ).astype("Int64")
    return pd.DataFrame(
        {
            "year": year,
            "cip13": cip13,
            "age_class": age.astype("string"),
            "sex": sex.astype("string"),
            "patients": count,
        },
        index=frame.index,
    )


def treated(
    rows: pd.DataFrame, link: pd.DataFrame, entity: str, by: tuple[str, ...] = ()
) -> pd.DataFrame:
    """Patients per ``entity`` (``cis`` or ``substance_code``), year and ``by``,
    summed over the presentations ``link`` (``cip13`` → ``entity``) gives it."""
    linked = rows.merge(link[["cip13", entity]].drop_duplicates(), on="cip13")
    keys = [entity, "year", *by]
    return (
        linked.groupby(keys, dropna=False)["patients"]
        .sum()
        .rename("patients")
        .reset_index()
    )


def yearly_mean(per_year: pd.DataFrame, entity: str, years: int) -> pd.Series:
    """The period's sum divided by its number of ``years`` (years without any
    patient count as zero), per entity."""
    return per_year.groupby(entity)["patients"].sum().astype("float64") / years


def exposure_level(mean: pd.Series, thresholds: tuple[int, ...]) -> pd.Series:
    """Level 1 to 5 from the yearly mean (0 when unknown)."""
    values = mean.astype("float64")
    levels = np.digitize(values.fillna(0), thresholds) + 1
    return pd.Series(
        np.where(values.isna(), 0, levels), index=mean.index, dtype="int64"
    )
