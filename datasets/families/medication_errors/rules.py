"""The cleaning rules of medication-error extracts (DOMAIN.md §2.9, §4.5, §8.6):

- `NR` (non renseigné), `NI` (non indiqué) and empty values are « Non renseigné »
  in every coded dimension (step, nature, cause, population, place, adverse
  effect, seriousness), so that a report missing one counts everywhere else;
- place codes ES, EMS and HAD get their labels (HAD is hospitalisation à
  domicile, which the earlier scripts called « Domicile »);
- seriousness Oui/Non to « Grave » / « Non grave »; the adverse-effect flag to
  « Avec effet indésirable » / « Sans effet indésirable »;
- populations keep their singular labels (the earlier scripts' plurals were
  display text);
- a report without a denomination cannot be matched to a medicine: it is
  counted and left out.

Pure: pandas and the referential's text folding, whole columns at a time.
"""

from __future__ import annotations

from typing import Final

import pandas as pd

from referential_admin.text import fold, fold_series

NOT_GIVEN: Final = "Non renseigné"
#: Folded raw values that mean "not given".
_MISSING: Final = frozenset({"", "nr", "ni", "non renseigne", "non indique"})

PLACES: Final[dict[str, str]] = {
    "es": "Établissement de santé",
    "ems": "Établissement médico-social",
    "had": "Hospitalisation à domicile",
}
SERIOUSNESS: Final[dict[str, str]] = {
    "oui": "Grave",
    "grave": "Grave",
    "non": "Non grave",
    "non grave": "Non grave",
}
ADVERSE_EFFECT: Final[dict[str, str]] = {
    "oui": "Avec effet indésirable",
    "non": "Sans effet indésirable",
}
POPULATIONS: Final[dict[str, str]] = {
    fold(label): label
    for label in (
        "Nouveau-né",
        "Nourrisson",
        "Enfant",
        "Adulte",
        "Personne âgée",
        "Femme enceinte",
    )
} | {
    fold("Nouveaux nés"): "Nouveau-né",
    fold("Nouveau né"): "Nouveau-né",
    fold("Nourrissons"): "Nourrisson",
    fold("Enfants"): "Enfant",
    fold("Adultes"): "Adulte",
    fold("Personnes âgées"): "Personne âgée",
    fold("Femmes enceintes"): "Femme enceinte",
}


def coded(values: pd.Series, labels: dict[str, str] | None = None) -> pd.Series:
    """A coded dimension: « Non renseigné » for NR, NI and empty values; with
    ``labels`` (folded value → label), the label, else the value as given
    (stripped). Unknown codes are kept as given, for the quality report."""
    text = values.astype("string").str.strip().fillna("")
    folded = fold_series(text)
    result = text.copy()
    if labels:
        mapped = folded.map(labels)
        result = mapped.where(mapped.notna(), text).astype("string")
    return result.where(~folded.isin(_MISSING), NOT_GIVEN)


def clean_reports(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """The extract's rows with every dimension normalised and the denomination
    folded for matching; counts: ``read``, ``no_denomination`` (left out) and, per
    dimension, how many were « Non renseigné »."""
    denomination = frame["denomination"].astype("string").str.strip().fillna("")
    kept = frame.loc[denomination.ne("")]
    cleaned = pd.DataFrame(index=kept.index)
    cleaned["denomination"] = denomination.loc[kept.index]
    cleaned["medicine_key"] = fold_series(cleaned["denomination"])
    dimensions = {
        "initial_erreur": None,
        "nature_erreur": None,
        "cause_erreur": None,
        "population_erreur": POPULATIONS,
        "lieu_erreur": PLACES,
        "effet_indesirable": ADVERSE_EFFECT,
        "gravite": SERIOUSNESS,
    }
    counts = {"read": len(frame), "no_denomination": len(frame) - len(kept)}
    for name, labels in dimensions.items():
        column = (
            kept[name]
            if name in kept
            else pd.Series("", index=kept.index, dtype="string")
        )
        cleaned[name] = coded(column, labels)
        counts[f"{name}_not_given"] = int(cleaned[name].eq(NOT_GIVEN).sum())
    return cleaned, counts
