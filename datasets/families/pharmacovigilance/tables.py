"""The tables a pharmacovigilance release publishes, before disclosure control:
counts of distinct cases (never rows), global, per substance and per speciality
(through the links of the cases' drugs to them). Names and keys are those of the
files and the API (#15): ``cases_by_year`` (``year``), ``cases_by_sex``
(``sex``), ``cases_by_age_class`` (``age_class``), ``cases_by_seriousness``
(``seriousness``), ``cases_by_criterion`` (``criterion``), ``cases_by_notifier``
(``notifier``), ``cases_by_soc`` (``soc``), ``cases_by_hlt`` (``soc``, ``hlt``:
a case once per HLT within a SOC); the same prefixed ``substance_`` with
``substance_code`` and ``speciality_`` with ``cis``, and ``substance_cases`` /
``speciality_cases`` (total per entity). Pure."""

from __future__ import annotations

import pandas as pd

from datasets.families.pharmacovigilance.cleaning import CleanedCases
from datasets.families.pharmacovigilance.rules import CRITERIA
from datasets.pipeline.counting import count_distinct, through

UNIT = ["AER_ID", "CAS"]
#: Tables whose categories split the cases (each case in exactly one): their
#: sum is the cases' total, published beside them, so a hidden cell needs a
#: companion. The others (SOC, HLT, criteria: a case in several or none) are
#: not sums of anything published.
ADDITIVE = ("by_year", "by_sex", "by_age_class", "by_seriousness", "by_notifier")
#: Table name → the case column it counts by.
DIMENSIONS = {
    "cases_by_year": "year",
    "cases_by_sex": "sex",
    "cases_by_age_class": "age_class",
    "cases_by_seriousness": "seriousness",
    "cases_by_notifier": "notifier",
}


def _criteria(cases: pd.DataFrame) -> pd.DataFrame:
    """One row per case and criterion it meets."""
    flags = cases[[*UNIT, *CRITERIA]].melt(
        id_vars=UNIT, var_name="criterion", value_name="met"
    )
    return flags.loc[flags["met"].astype(bool), [*UNIT, "criterion"]]


def _tables(
    cases: pd.DataFrame,
    socs: pd.DataFrame,
    hlts: pd.DataFrame,
    prefix: str,
    entity: list[str],
) -> dict[str, pd.DataFrame]:
    tables = {
        f"{prefix}{name}": count_distinct(cases, UNIT, [*entity, column])
        for name, column in DIMENSIONS.items()
    }
    tables[f"{prefix}cases_by_criterion"] = count_distinct(
        _criteria(cases).merge(cases[[*UNIT, *entity]], on=UNIT),
        UNIT,
        [*entity, "criterion"],
    )
    tables[f"{prefix}cases_by_soc"] = count_distinct(socs, UNIT, [*entity, "soc"])
    tables[f"{prefix}cases_by_hlt"] = count_distinct(
        hlts, UNIT, [*entity, "soc", "hlt"]
    )
    return tables


def case_tables(
    cleaned: CleanedCases,
    substances: pd.DataFrame | None = None,
    specialities: pd.DataFrame | None = None,
) -> dict[str, pd.DataFrame]:
    """Every table of the release. ``substances`` and ``specialities`` link case
    keys (``AER_ID``, ``CAS``) to ``substance_code`` or ``cis`` (from the matched
    drug texts); without them, only the global tables."""
    cases, socs = cleaned.cases, cleaned.socs
    hlts = cleaned.hlts.dropna(subset=["hlt"])
    tables = _tables(cases, socs, hlts, "", [])
    tables["cases_total"] = pd.DataFrame({"n": [len(cases.drop_duplicates(UNIT))]})
    for prefix, link, key in (
        ("substance_", substances, "substance_code"),
        ("speciality_", specialities, "cis"),
    ):
        if link is None:
            continue
        linked_cases = through(cases, link, UNIT, key)
        linked_socs = through(socs, link, UNIT, key)
        linked_hlts = through(hlts, link, UNIT, key)
        tables.update(_tables(linked_cases, linked_socs, linked_hlts, prefix, [key]))
        tables[f"{prefix}cases"] = count_distinct(linked_cases, UNIT, [key])
    return tables
