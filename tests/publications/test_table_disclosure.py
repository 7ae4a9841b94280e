"""Property-based: no table of a release, read with the others, lets a hidden
count be derived. Random small sets of cases (two-category splits included)
go through the pharmacovigilance tables and the disclosure control of a
release; every published line is checked against the true counts."""

from __future__ import annotations

from typing import Any

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from datasets.families.pharmacovigilance.cleaning import CleanedCases
from datasets.families.pharmacovigilance.rules import CRITERIA
from datasets.families.pharmacovigilance.tables import ADDITIVE, case_tables
from datasets.pipeline.parts import LinkReport
from publications.aggregates import protected_tables

THRESHOLD = 11
case = st.fixed_dictionaries(
    {
        "sex": st.sampled_from(["F", "M"]),
        "age_class": st.sampled_from(["0-19", "20-59", "60+", "unknown"]),
        "seriousness": st.sampled_from(["grave", "non_grave"]),
        "year": st.sampled_from([2021, 2022, 2023]),
        "notifier": st.sampled_from(["Patient", "Pharmacien"]),
        "substances": st.sets(st.sampled_from(["A", "B", "C"]), max_size=2),
        "soc": st.sets(st.sampled_from(["S1", "S2", "S3"]), max_size=2),
        "criteria": st.sets(st.sampled_from(CRITERIA[:3]), max_size=2),
    }
)


def _tables(cases: list[dict[str, Any]]) -> dict[str, pd.DataFrame]:
    frame = pd.DataFrame(
        [
            {
                "AER_ID": "X",
                "CAS": str(i),
                "VER": "1",
                **{k: c[k] for k in ("sex", "age_class", "seriousness", "year")},
                "notifier": c["notifier"],
                **{name: name in c["criteria"] for name in CRITERIA},
            }
            for i, c in enumerate(cases)
        ],
        columns=[
            "AER_ID",
            "CAS",
            "VER",
            "sex",
            "age_class",
            "seriousness",
            "year",
            "notifier",
            *CRITERIA,
        ],
    )
    socs = pd.DataFrame(
        [("X", str(i), soc) for i, c in enumerate(cases) for soc in c["soc"]],
        columns=["AER_ID", "CAS", "soc"],
    )
    substances = pd.DataFrame(
        [("X", str(i), s) for i, c in enumerate(cases) for s in c["substances"]],
        columns=["AER_ID", "CAS", "substance_code"],
    )
    # Speciality 1 has substance A only: its cases are A's, its counts A's.
    specialities = substances.loc[substances["substance_code"].eq("A")].rename(
        columns={"substance_code": "cis"}
    )
    specialities["cis"] = "60000001"
    # One HLT per case and SOC: each HLT's count is its SOC's.
    hlts = socs.assign(hlt=socs["soc"] + ".1")
    cleaned = CleanedCases(frame, socs, hlts, pd.DataFrame(), LinkReport())
    return dict(case_tables(cleaned, substances, specialities))


def _true(
    tables: dict[str, pd.DataFrame], name: str, keys: list[str]
) -> dict[Any, int]:
    frame = tables[name]
    return {tuple(row[k] for k in keys): int(row["n"]) for _i, row in frame.iterrows()}


@settings(max_examples=40, deadline=None)
@given(st.lists(case, min_size=0, max_size=70))
def test_no_hidden_count_can_be_derived_from_a_release(
    cases: list[dict[str, Any]],
) -> None:
    tables = _tables(cases)
    out = protected_tables(tables, THRESHOLD, additive=ADDITIVE)
    for name, table in out.items():
        for row in table["rows"]:
            n = row["n"]
            assert n is None or n == 0 or n >= THRESHOLD, (name, row)
            if n is None:
                assert row["pct"] is None and row["status"] == "suppressed"
    total = out["cases_total"]["rows"][0]["n"]
    for name, table in out.items():
        keys = table["keys"]
        if not name.endswith(ADDITIVE):
            continue
        true = _true(tables, name, keys)
        if len(keys) == 1:
            lines = {(): table["rows"]} if total is not None else {}
        else:
            totals = _entity_totals(out, keys[0])
            lines = {}
            for row in table["rows"]:
                if totals.get(row[keys[0]]) is not None:
                    lines.setdefault(row[keys[0]], []).append(row)
        for rows in lines.values():
            hidden = [r for r in rows if r["n"] is None]
            sizes = [true[tuple(r[k] for k in keys)] for r in hidden]
            # None hidden, or at least two whose sum is not small: with the
            # total published, one hidden cell would be the difference.
            assert not hidden or (len(hidden) >= 2 and sum(sizes) >= THRESHOLD), (
                name,
                rows,
            )
    # The speciality made of substance A shows exactly what A shows.
    for dimension in ("cases_by_sex", "cases_by_soc", "cases_by_year"):
        substance = {
            r[dimension.split("_by_")[1]]: r["n"]
            for r in out[f"substance_{dimension}"]["rows"]
            if r["substance_code"] == "A"
        }
        speciality = {
            r[dimension.split("_by_")[1]]: r["n"]
            for r in out[f"speciality_{dimension}"]["rows"]
            if r["cis"] == "60000001"
        }
        assert substance == speciality, dimension
    # One HLT per SOC: the drill-down shows (or hides) what its SOC does.
    for prefix, entity in (("", ()), ("substance_", ("substance_code",))):
        socs = {
            (*[r[k] for k in entity], r["soc"]): r["n"]
            for r in out[f"{prefix}cases_by_soc"]["rows"]
        }
        hlts = {
            (*[r[k] for k in entity], r["soc"]): r["n"]
            for r in out[f"{prefix}cases_by_hlt"]["rows"]
        }
        assert out[f"{prefix}cases_by_hlt"]["keys"] == [*entity, "soc", "hlt"]
        assert hlts == {key: n for key, n in socs.items() if n != 0}, prefix


def _entity_totals(out: dict[str, Any], entity: str) -> dict[Any, int | None]:
    name = "substance_cases" if entity == "substance_code" else "speciality_cases"
    return {r[entity]: r["n"] for r in out[name]["rows"]}


def test_a_speciality_of_one_substance_hides_what_the_substance_hides() -> None:
    def many(n: int, sex: str, substances: set[str]) -> list[dict[str, Any]]:
        return [
            {
                "sex": sex,
                "age_class": "20-59",
                "seriousness": "grave",
                "year": 2022,
                "notifier": "Patient",
                "substances": substances,
                "soc": {"S1"},
                "criteria": set(),
            }
        ] * n

    # B's 3 men hide B's women too; A, beside B in the substances' table, shows
    # what the speciality made of A alone shows (a table protected as a whole,
    # with its men's column, would hide a cell of A that the speciality shows).
    cases = many(12, "F", {"A"}) + many(12, "M", {"A"}) + many(3, "M", {"B"})
    cases += many(12, "F", {"B"})
    out = protected_tables(_tables(cases), THRESHOLD, additive=ADDITIVE)

    def shown(name: str, entity: str, value: str) -> dict[str, Any]:
        return {r["sex"]: r["n"] for r in out[name]["rows"] if r[entity] == value}

    substance = shown("substance_cases_by_sex", "substance_code", "A")
    assert substance == shown("speciality_cases_by_sex", "cis", "60000001")
    assert shown("substance_cases_by_sex", "substance_code", "B") == {
        "F": None,
        "M": None,
    }
