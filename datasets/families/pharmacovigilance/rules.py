"""The case-level rules of pharmacovigilance extracts (BNPV: Cas-Patients, Effets,
Médicaments joined on AER_ID, CAS, VER), fixing the earlier scripts' mistakes:

- only the **latest version** of a case counts (VER compared as a number when it
  is one, so that version 10 comes after version 9);
- only cases that **occurred in France and were declared in France** count (both
  countries are read before filtering);
- a case with a missing sex or age is **kept**: it is « Non renseigné » in the
  tables that use that dimension and counts everywhere else;
- ages: decimal comma, units ANS (also implicit), MOIS (÷ 12, rounded), SEMAINES,
  JOURS, HEURES (0 year); a missing age is recovered as notification year − birth
  year; ages outside 0–125 are invalid;
- System Organ Classes arrive partly in English: every English MedDRA SOC name
  maps to its French label, whatever its case, accents or punctuation.

Pure: pandas and the referential's text folding, no framework. Every function
works on whole columns (one vectorised pass, never a loop over rows).
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

from referential_admin.text import fold, fold_series

#: A case version is identified by these columns in every part of an extract.
CASE_KEYS: Final = ("AER_ID", "CAS", "VER")
#: Ages outside this range are invalid (set missing, then possibly recovered).
MAX_AGE: Final = 125
UNKNOWN: Final = "unknown"

#: The 27 MedDRA System Organ Classes: English name → French label used on the
#: agency's site (DOMAIN.md §8.7).
SOC_FRENCH: Final[dict[str, str]] = {
    "Cardiac disorders": "Affections cardiaques",
    "Ear and labyrinth disorders": "Affections de l'oreille et du labyrinthe",
    "Skin and subcutaneous tissue disorders": (
        "Affections de la peau et du tissu sous-cutané"
    ),
    "Reproductive system and breast disorders": (
        "Affections des organes de reproduction et du sein"
    ),
    "Renal and urinary disorders": "Affections du rein et des voies urinaires",
    "Immune system disorders": "Affections du système immunitaire",
    "Nervous system disorders": "Affections du système nerveux",
    "Endocrine disorders": "Affections endocriniennes",
    "Gastrointestinal disorders": "Affections gastro-intestinales",
    "Blood and lymphatic system disorders": (
        "Affections hématologiques et du système lymphatique"
    ),
    "Hepatobiliary disorders": "Affections hépatobiliaires",
    "Musculoskeletal and connective tissue disorders": (
        "Affections musculosquelettiques et du tissu conjonctif"
    ),
    "Eye disorders": "Affections oculaires",
    "Psychiatric disorders": "Affections psychiatriques",
    "Respiratory, thoracic and mediastinal disorders": (
        "Affections respiratoires, thoraciques et médiastinales"
    ),
    "Vascular disorders": "Affections vasculaires",
    "Social circumstances": "Caractéristiques socio-environnementales",
    "Infections and infestations": "Infections et infestations",
    "Investigations": "Explorations complémentaires",
    "Injury, poisoning and procedural complications": (
        "Lésions, intoxications et complications d'interventions"
    ),
    "Product issues": "Problèmes de produit",
    "Metabolism and nutrition disorders": "Troubles du métabolisme et de la nutrition",
    "General disorders and administration site conditions": (
        "Troubles généraux et anomalies au site d'administration"
    ),
    "Neoplasms benign, malignant and unspecified (incl cysts and polyps)": (
        "Tumeurs bénignes, malignes et non précisées (incl kystes et polypes)"
    ),
    "Surgical and medical procedures": "Actes médicaux et chirurgicaux",
    "Congenital, familial and genetic disorders": (
        "Affections congénitales, familiales et génétiques"
    ),
    "Pregnancy, puerperium and perinatal conditions": (
        "Affections gravidiques, puerpérales et périnatales"
    ),
}
#: Folded English or French name → French label (the French labels map to
#: themselves, so that a label already in French is recognised too).
_SOC_BY_FOLDED: Final[dict[str, str]] = {
    **{fold(english): french for english, french in SOC_FRENCH.items()},
    **{fold(french): french for french in SOC_FRENCH.values()},
}

#: Age units (folded) → months or years per unit; 0: the age counts as 0 year.
_AGE_UNITS: Final[dict[str, float]] = {
    "": 1.0,
    "an": 1.0,
    "ans": 1.0,
    "annee": 1.0,
    "annees": 1.0,
    "mois": 12.0,
    "semaine": 0.0,
    "semaines": 0.0,
    "jour": 0.0,
    "jours": 0.0,
    "heure": 0.0,
    "heures": 0.0,
}


def latest_versions(cases: pd.DataFrame) -> pd.DataFrame:
    """The latest version of each case (AER_ID, CAS): the row with the highest
    VER, numerically when VER is a number, else as text. The input's order and
    index are kept for the rows that stay."""
    numeric = pd.to_numeric(cases["VER"], errors="coerce")
    order = pd.DataFrame(
        {
            "aer": cases["AER_ID"].astype("string"),
            "cas": cases["CAS"].astype("string"),
            # Numbers after texts of the same case only when no number exists.
            "num": numeric.fillna(-np.inf),
            "text": cases["VER"].astype("string").fillna(""),
        },
        index=cases.index,
    )
    ranked = order.sort_values(["aer", "cas", "num", "text"], kind="stable")
    kept = ranked.drop_duplicates(["aer", "cas"], keep="last").index
    return cases.loc[cases.index.isin(kept)]


def in_france(cases: pd.DataFrame) -> pd.Series:
    """Whether each case occurred in France and was declared in France
    (``PAYS_SURVENUE`` and ``PAYS_CAS``, compared folded)."""
    occurred = fold_series(cases["PAYS_SURVENUE"]) == "france"
    declared = fold_series(cases["PAYS_CAS"]) == "france"
    return occurred & declared


def age_in_years(
    age: pd.Series,
    unit: pd.Series,
    notified: pd.Series,
    birth: pd.Series,
) -> pd.Series:
    """Each case's age in whole years, or NA when unknown.

    ``age`` is the raw value (decimal comma allowed), ``unit`` the raw unit (empty
    means years), ``notified`` and ``birth`` the raw notification and birth dates
    (``DD/MM/YYYY``; only their year is used, to recover a missing age). Ages
    outside 0–125, and units nobody knows, are invalid before recovery, and a
    recovered age outside 0–125 stays unknown. Rounding is half to even, as R's
    ``round`` of the earlier scripts (18 months → 2 years, 30 months → 2 years)."""
    value = age_value(age)
    divisor = fold_series(unit).map(_AGE_UNITS).astype("float64")  # NaN: unknown
    years = (value / divisor.where(divisor > 0)).round()
    years = years.where(divisor != 0, 0.0).where(value.notna() & divisor.notna())
    valid = years.between(0, MAX_AGE)
    years = years.where(valid)
    recovered = (year_of(notified) - year_of(birth)).astype("float64")
    recovered = recovered.where(recovered.between(0, MAX_AGE))
    return years.fillna(recovered).astype("Int64")


def age_value(age: pd.Series) -> pd.Series:
    """The raw age as a number (decimal comma allowed), NaN when not one."""
    return pd.to_numeric(
        age.astype("string").str.strip().str.replace(",", ".", regex=False),
        errors="coerce",
    ).astype("float64")


def year_of(dates: pd.Series) -> pd.Series:
    """The year of ``DD/MM/YYYY`` dates (also partial: ``/MM/YYYY``, ``//YYYY``)."""
    text = dates.astype("string").str.strip()
    year = pd.to_numeric(text.str.extract(r"(\d{4})\s*$")[0], errors="coerce")
    return year.astype("float64")


def age_class(years: pd.Series) -> pd.Series:
    """Published age classes: ``0-19``, ``20-59``, ``60+``, or ``unknown``."""
    values = years.astype("Float64")
    classes = np.select(
        [values.lt(20).fillna(False), values.lt(60).fillna(False), values.notna()],
        ["0-19", "20-59", "60+"],
        default=UNKNOWN,
    )
    return pd.Series(classes, index=years.index, dtype="string")


def decade_class(years: pd.Series) -> pd.Series:
    """Decade classes kept for the record: 0, 10, …, 90 (90 and over); NA when
    unknown."""
    decades = (years.astype("Float64") // 10 * 10).clip(upper=90)
    return decades.astype("Int64")


def sex(values: pd.Series) -> pd.Series:
    """``F``, ``M`` or ``unknown`` (missing or anything else)."""
    folded = fold_series(values).str.upper()
    return folded.where(folded.isin(["F", "M"]), UNKNOWN).astype("string")


def french_soc(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """The French label of each SOC (English or French, folded before lookup),
    and a mask of the values that named no known SOC (left NA, for the issues)."""
    folded = fold_series(values)
    labels = folded.map(_SOC_BY_FOLDED).astype("string")
    unknown = labels.isna() & folded.ne("")
    return labels, unknown


def case_socs(effects: pd.DataFrame) -> pd.DataFrame:
    """One row per case and SOC: a case with three effects in one SOC counts once
    in it. ``effects`` has the case keys and ``soc`` (French labels); rows without
    a SOC are left out."""
    return effects.dropna(subset=["soc"]).drop_duplicates(["AER_ID", "CAS", "soc"])[
        ["AER_ID", "CAS", "soc"]
    ]


def case_hlts(effects: pd.DataFrame) -> pd.DataFrame:
    """One row per case, SOC and HLT (once per HLT within a SOC), for the SOC's
    drill-down; rows without a SOC or an HLT are left out."""
    return effects.dropna(subset=["soc", "hlt"]).drop_duplicates(
        ["AER_ID", "CAS", "soc", "hlt"]
    )[["AER_ID", "CAS", "soc", "hlt"]]


#: Notifier labels (folded) → published notifier type (DOMAIN.md §8.4).
NOTIFIERS: Final[dict[str, str]] = {
    fold("Autre professionnel de santé"): "Autre professionnel de santé",
    fold("Dentiste"): "Dentiste",
    fold("Infirmière"): "Infirmier",
    fold("Infirmier"): "Infirmier",
    fold("Médecin généraliste"): "Médecin généraliste",
    fold("Médecin spécialiste"): "Médecin spécialiste",
    fold("Pharmacien"): "Pharmacien",
    fold("Patient"): "Patient",
    fold("Non professionnel de santé"): "Patient",
    fold("Consommateur/autre non professionnel de santé"): "Patient",
    fold("Inconnu"): "Inconnu",
}
#: Seriousness criteria flags of a case, in the order the site shows them.
CRITERIA: Final = ("DECES", "PRO_V", "HOSPI", "INCAP", "ANO_C", "AUTRE")


def notifier(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """The published notifier type of each case (a missing one is « Inconnu »),
    and a mask of the labels nobody mapped (kept as « Inconnu », for the issues)."""
    folded = fold_series(values)
    types = folded.map(NOTIFIERS)
    unmapped = types.isna() & folded.ne("")
    return types.fillna("Inconnu").astype("string"), unmapped


def seriousness(values: pd.Series) -> pd.Series:
    """``grave`` for OUI, ``non_grave`` for NON, ``unknown`` otherwise."""
    folded = fold_series(values)
    return pd.Series(
        np.select(
            [folded.eq("oui"), folded.eq("non")], ["grave", "non_grave"], UNKNOWN
        ),
        index=values.index,
        dtype="string",
    )


def criteria(cases: pd.DataFrame) -> pd.DataFrame:
    """One boolean column per seriousness criterion (``OUI`` is true, anything
    else false; a criterion column absent from the extract is all false)."""
    flags = {
        name: fold_series(cases[name]).eq("oui")
        if name in cases
        else pd.Series(False, index=cases.index)
        for name in CRITERIA
    }
    return pd.DataFrame(flags, index=cases.index)
