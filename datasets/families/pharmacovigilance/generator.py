"""A seeded generator of pharmacovigilance extracts in the BNPV's shapes (three
tables joined on AER_ID, CAS, VER), for the demo, the tests and the bench: no
real extract of this family is public.

The medicines come from the caller (names and substances of the referential), so
that the drug texts match as real ones would. The values carry what such systems
produce: several versions of a case, foreign cases, SOC names partly in English,
ages in months, weeks or missing with a birth date, partial onset dates, missing
sex, brand-only drug names, drug types missing.

Pure: NumPy and pandas only; the same seed gives the same extract.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from datasets.families.pharmacovigilance.rules import CRITERIA, SOC_FRENCH
from referential_admin.text import brand_of

__all__ = ["Medicine", "brand_of", "generate", "write_extract"]

NOTIFIER_LABELS = (
    "Médecin généraliste",
    "Médecin spécialiste",
    "Pharmacien",
    "Infirmière",
    "Patient",
    "Non professionnel de santé",
    "Autre professionnel de santé",
    "Dentiste",
    "",
)
HLTS = ("Arythmies", "Céphalées", "Nausées et vomissements", "Éruptions", "Autres")


@dataclass(frozen=True)
class Medicine:
    """A medicine as a drug text may name it: its speciality name, its brand (the
    name without strength and form) and its substances."""

    speciality: str
    brand: str
    substances: tuple[str, ...]


def generate(
    cases: int, medicines: Sequence[Medicine], *, seed: int = 2023
) -> dict[str, pd.DataFrame]:
    """Three tables ``cases``, ``effects`` and ``drugs`` with the BNPV's columns,
    for ``cases`` distinct cases (their versions and foreign cases included)."""
    rng = np.random.default_rng(seed)
    versions = rng.choice([1, 1, 1, 2, 3, 10], size=cases)
    case_ids = np.repeat(np.arange(cases), versions)
    # 1, 2, … within each case: the row's rank after its case's first row.
    first_rows = np.repeat(np.cumsum(versions) - versions, versions)
    ver = np.arange(len(case_ids)) - first_rows + 1
    n = len(case_ids)
    year = rng.integers(2014, 2024, size=n)
    age = rng.integers(0, 95, size=n).astype(object)
    unit = rng.choice(
        ["ANS", "", "MOIS", "SEMAINES", "JOURS"], p=[0.6, 0.3, 0.05, 0.03, 0.02], size=n
    )
    months = unit == "MOIS"
    age[months] = rng.integers(1, 24, size=int(months.sum()))
    missing_age = rng.random(n) < 0.08
    age[missing_age] = ""
    birth = np.where(
        missing_age & (rng.random(n) < 0.6),
        "15/06/" + _text(year - rng.integers(1, 90, size=n)),
        "",
    )
    half = rng.random(n) < 0.1
    age = np.where(half, "0,5", age.astype(str))
    foreign = rng.random(n) < 0.05
    case_frame = pd.DataFrame(
        {
            "AER_ID": "FR-ANSM-" + _text(case_ids // 97, 4),
            "CAS": _text(case_ids, 7),
            "VER": ver,
            "NOTIF": _text(rng.integers(1, 29, n), 2)
            + "/"
            + _text(rng.integers(1, 13, n), 2)
            + "/"
            + _text(year),
            "SEXE": rng.choice(["F", "M", ""], p=[0.55, 0.4, 0.05], size=n),
            "AGE": age,
            "U_AGE": unit,
            "DATE_NAISS": birth,
            "TYP_NOTIF": rng.choice(NOTIFIER_LABELS, size=n),
            "GRAVE": rng.choice(["OUI", "NON"], p=[0.4, 0.6], size=n),
            "PAYS_SURVENUE": np.where(
                foreign, rng.choice(["Belgique", "Espagne"], size=n), "France"
            ),
            "PAYS_CAS": np.where(
                foreign & (rng.random(n) < 0.5), "Allemagne", "France"
            ),
        }
    )
    serious = case_frame["GRAVE"].eq("OUI").to_numpy()
    for criterion in CRITERIA:
        case_frame[criterion] = np.where(serious & (rng.random(n) < 0.3), "OUI", "")
    keys = case_frame[["AER_ID", "CAS", "VER"]]
    english = list(SOC_FRENCH)
    french = list(SOC_FRENCH.values())
    per_case = rng.integers(1, 4, size=n)
    effect_rows = np.repeat(np.arange(n), per_case)
    soc = rng.integers(0, len(english), size=len(effect_rows))
    in_english = rng.random(len(effect_rows)) < 0.3
    effects = keys.iloc[effect_rows].reset_index(drop=True)
    size = len(effect_rows)
    # Whole dates, dates without their day (/MM/YYYY) or with their year only.
    precision = rng.choice([0, 1, 2], p=[0.8, 0.15, 0.05], size=size)
    day = _text(rng.integers(1, 29, size), 2).where(precision == 0, "")
    month = _text(rng.integers(1, 13, size), 2).where(precision < 2, "")
    effects["DATE_DEB"] = day + "/" + month + "/" + _text(year[effect_rows])
    effects["EFFET_SOC"] = np.where(
        in_english, np.array(english)[soc], np.array(french)[soc]
    )
    effects["EFFET_HLT"] = rng.choice(HLTS, size=len(effect_rows))
    drug_counts = rng.integers(1, 3, size=n)
    drug_rows = np.repeat(np.arange(n), drug_counts)
    chosen = rng.integers(0, max(len(medicines), 1), size=len(drug_rows))
    kind = rng.choice(
        ["Spécialité", "Produit", "Substance", ""],
        p=[0.4, 0.42, 0.17, 0.01],
        size=len(drug_rows),
    )
    drugs = keys.iloc[drug_rows].reset_index(drop=True)
    drugs["MEDICAMENT"] = _drug_texts(medicines, chosen, kind, rng)
    drugs["TYPE"] = kind
    return {"cases": case_frame, "effects": effects, "drugs": drugs}


def _text(values: np.ndarray, width: int = 0) -> pd.Series:
    """Integers as text, zero-padded to ``width`` (one vectorised pass)."""
    return pd.Series(values).astype(str).str.zfill(width)


def _drug_texts(
    medicines: Sequence[Medicine],
    chosen: np.ndarray,
    kind: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """The text naming each drug: its brand for a « Produit », one of its
    substances for a « Substance » (its speciality name when it has none), its
    speciality name otherwise."""
    if not medicines:
        return np.full(len(chosen), "", dtype=object)
    speciality = np.array([m.speciality for m in medicines], dtype=object)[chosen]
    brand = np.array([m.brand for m in medicines], dtype=object)[chosen]
    counts = np.array([len(m.substances) for m in medicines])
    offsets = np.concatenate([[0], np.cumsum(counts)[:-1]])
    every = np.array([s for m in medicines for s in m.substances] or [""], dtype=object)
    pick = offsets[chosen] + (rng.random(len(chosen)) * counts[chosen]).astype(int)
    substance = np.where(
        counts[chosen] > 0, every[np.minimum(pick, len(every) - 1)], speciality
    )
    return np.select(
        [kind == "Produit", kind == "Substance"], [brand, substance], speciality
    )


#: File names of an extract, as the 2023 one (with its date in front).
FILE_NAMES = {"cases": "Cas-Patients", "effects": "Effets", "drugs": "Médicaments"}


def write_extract(
    parts: dict[str, pd.DataFrame], folder: Path, stamp: str = "20230216"
) -> list[Path]:
    """Write the parts as the BNPV's semicolon-separated CSV files; return them."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, frame in parts.items():
        path = folder / f"{stamp} - {FILE_NAMES[name]}.csv"
        frame.to_csv(path, sep=";", index=False, encoding="utf-8")
        paths.append(path)
    return paths
