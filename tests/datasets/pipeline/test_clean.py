"""The cleaning chain on small hand-made frames: one test per rule, no database."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import pytest

from datasets.families.shortages import SHORTAGES
from datasets.pipeline.clean import (
    CleanResult,
    TypedMemo,
    clean,
    parse_dates,
)
from datasets.pipeline.diff import diff_records
from datasets.pipeline.export import neutralise
from datasets.pipeline.mapping import (
    MappingError,
    MappingSpec,
    apply_mapping,
    suggest_mapping,
)

TODAY = date(2026, 11, 28)
IDENTITY = MappingSpec(columns={name: name for name in SHORTAGES.field_names})


def frame(**columns: list[str]) -> pd.DataFrame:
    n = max(len(v) for v in columns.values())
    data = {name: [""] * n for name in SHORTAGES.field_names}
    data.update(columns)
    return pd.DataFrame(data, dtype="str")


def run(
    spec: MappingSpec = IDENTITY, matcher: Any = None, **columns: list[str]
) -> CleanResult:
    mapped = apply_mapping(frame(**columns), SHORTAGES, spec)
    return clean(mapped, SHORTAGES, spec, matcher=matcher, today=TODAY)


def codes(result: CleanResult) -> list[tuple[int, str]]:
    return list(zip(result.issues["position"], result.issues["code"], strict=True))


def test_a_clean_row_is_loaded_typed_with_no_issue() -> None:
    result = run(
        classification=["Rupture de stock"],
        product_name=["DOLIPRANE 1000 mg, comprimé"],
        declared_on=["14/04/2026"],
        cip13=["3400935955838"],
    )
    assert result.issue_counts() == {}
    record = result.records.iloc[0]
    assert record["classification"] == "rupture"
    assert record["declared_on"] == pd.Timestamp("2026-04-14")
    assert record["cip13"] == "3400935955838"
    assert record["state"] == "ouvert"
    assert record["record_key"] == "medicine_key+declared_on=3400935955838|2026-04-14"


def test_a_required_value_missing_is_blocking_and_the_row_is_left_out() -> None:
    result = run(
        classification=["", "rupture"],
        product_name=["A", "B"],
        declared_on=["01/01/2024"] * 2,
    )
    assert (0, "REQUIRED") in codes(result)
    assert result.rows_loaded == 1 and result.rows_rejected == 1
    assert list(result.rejected_positions) == [0]


def test_dates_are_read_in_french_iso_and_excel_serial_forms() -> None:
    parsed = parse_dates(
        pd.Series(
            [
                "31/01/2024",
                "2024-01-31",
                "45322",
                "2024-01-31 10:12:00",
                "",
                "31/02/2024",
            ],
            dtype="str",
        )
    )
    assert list(parsed[:4]) == [pd.Timestamp("2024-01-31")] * 4
    assert parsed[4:].isna().all()


def test_an_unreadable_or_implausible_date_is_blocking() -> None:
    result = run(
        classification=["rupture"] * 3,
        product_name=["A", "B", "C"],
        declared_on=["31/02/2024", "01/01/1970", "01/01/2030"],
    )
    assert codes(result) == [
        (0, "DATE_MISSING"),
        (0, "INVALID_DATE"),
        (1, "DATE_MISSING"),
        (1, "DATE_OUT_OF_RANGE"),
        (2, "DATE_MISSING"),
        (2, "DATE_OUT_OF_RANGE"),
    ]
    assert result.rows_loaded == 0


def test_slices_sharing_a_memo_are_typed_as_the_whole_extract() -> None:
    """Dates, codes and vocabularies typed once per distinct text over the
    slices give the same records and issues as one pass without the memo."""
    rows = 12
    mapped = apply_mapping(
        frame(
            declaration_number=[f"21-{i}" for i in range(rows)],
            classification=["Rupture de stock", "risque", "inconnu"] * 4,
            product_name=["A", "B", "C", "D"] * 3,
            declared_on=["01/02/2024", "31/02/2024", "01/01/1970", "2024-03-01"] * 3,
            returned_on=["", "45000", "01/01/2030"] * 4,
            cip13=["3400930000000", "3400935955838", "340093595583", " 1234567 "] * 3,
        ),
        SHORTAGES,
        IDENTITY,
    )
    whole = clean(mapped, SHORTAGES, IDENTITY, today=TODAY)
    memo = TypedMemo()
    parts = [
        clean(
            mapped.iloc[start : start + 5],
            SHORTAGES,
            IDENTITY,
            today=TODAY,
            offset=start,
            memo=memo,
        )
        for start in range(0, rows, 5)
    ]
    sliced = pd.concat([p.records for p in parts], ignore_index=True)
    pd.testing.assert_frame_equal(sliced, whole.records, check_dtype=False)
    issues = pd.concat([p.issues for p in parts], ignore_index=True)
    assert sorted(map(tuple, issues.astype(str).to_numpy().tolist())) == sorted(
        map(tuple, whole.issues.astype(str).to_numpy().tolist())
    )
    assert {
        "INVALID_DATE",
        "DATE_OUT_OF_RANGE",
        "UNKNOWN_VALUE",
        "INVALID_CIP13",
    } <= set(whole.issues["code"])


def test_a_value_outside_the_vocabulary_is_reported_and_a_value_map_fixes_it() -> None:
    rows = {
        "classification": ["Pénurie"],
        "product_name": ["A"],
        "declared_on": ["01/01/2024"],
    }
    assert codes(run(**rows)) == [(0, "UNKNOWN_VALUE")]
    spec = MappingSpec(
        columns=IDENTITY.columns, value_maps={"classification": {"Pénurie": "rupture"}}
    )
    result = run(spec, **rows)
    assert result.issue_counts() == {}
    assert result.records.iloc[0]["classification"] == "rupture"


def test_codes_keep_zeros_cip7_becomes_cip13_and_check_digits_are_verified() -> None:
    result = run(
        classification=["rupture"] * 3,
        declared_on=["01/01/2024", "01/01/2024", "02/01/2024"],
        cip13=["3595583", "3400935955831", "34009 3595 5838"],
        cis=["06123456", "1234", ""],
        product_name=["", "nom", ""],
    )
    assert list(result.records["cip13"].fillna("")) == [
        "3400935955838",
        "",
        "3400935955838",
    ]
    assert result.records.iloc[0]["cis"] == "06123456"
    assert (1, "INVALID_CIP13") in codes(result) and (1, "INVALID_CIS") in codes(result)
    # A wrong code is a warning: the row stays, matched by its name.
    assert result.rows_loaded == 3


def test_malformed_atc_and_links_are_warnings() -> None:
    result = run(
        classification=["rupture"] * 2,
        product_name=["A", "B"],
        declared_on=["01/01/2024"] * 2,
        atc=["n02be01", "paracetamol"],
        source_url=["https://ansm.sante.fr/x", "voir site"],
    )
    assert list(result.records["atc"].fillna("")) == ["N02BE01", ""]
    assert {c for _p, c in codes(result)} == {"INVALID_ATC", "INVALID_URL"}
    assert result.rows_loaded == 2


def test_cross_field_rules_and_missing_medicine() -> None:
    result = run(
        classification=["rupture"] * 3,
        product_name=["A", "", "C"],
        started_on=["10/03/2024", "10/03/2024", "10/03/2024"],
        returned_on=["01/03/2024", "", ""],
        declared_on=["05/03/2024", "05/03/2024", "05/03/2024"],
        expected_return_on=["", "", "01/03/2024"],
    )
    found = codes(result)
    assert (0, "RETURN_BEFORE_START") in found
    assert (1, "MEDICINE_MISSING") in found
    assert (2, "EXPECTED_BEFORE_DECLARATION") in found
    assert list(result.records["product_name"]) == ["C"]  # warnings keep the row


def test_drafts_are_excluded_and_state_defaults_from_the_return_date() -> None:
    result = run(
        classification=["rupture", "rupture", "remise"],
        product_name=["A", "B", "C"],
        declared_on=["01/01/2024"] * 3,
        state=["Brouillon", "", ""],
        returned_on=["", "02/02/2024", ""],
    )
    assert (0, "EXCLUDED_DRAFT") in codes(result)
    assert list(result.records["state"]) == ["ferme", "ferme"]


def test_exact_duplicates_and_repeated_keys_keep_the_last_row() -> None:
    result = run(
        declaration_number=["21-0001", "21-0001", "21-0002", "21-0002"],
        classification=["rupture", "rupture", "rupture", "risque"],
        cip13=["3400935955838"] * 4,
        declared_on=["01/01/2024"] * 4,
    )
    assert codes(result) == [(0, "DUPLICATE_ROW"), (2, "DUPLICATE_KEY")]
    assert list(result.records["position"]) == [1, 3]
    # Each dropped row names the row kept in its place.
    assert list(result.issues["detail"]) == ["1", "3"]
    assert result.records.iloc[1]["classification"] == "risque"


def test_matching_runs_once_per_medicine_and_only_accepted_matches_set_the_cis() -> (
    None
):
    calls: list[int] = []

    def matcher(labels: list[str | None], given: list[str | None]) -> pd.DataFrame:
        calls.append(len(labels))
        known = {"A": ("60234100", "exact", True), "B": ("69309629", "fuzzy", False)}
        found = [known.get(label or "", (None, "unmatched", False)) for label in labels]
        return pd.DataFrame(
            {
                "cis": [f[0] for f in found],
                "method": [f[1] for f in found],
                "score": [100.0 if f[2] else 50.0 for f in found],
                "auto_accepted": [f[2] for f in found],
            }
        )

    result = run(
        matcher=matcher,
        classification=["rupture"] * 5,
        product_name=["A", "A", "B", "Z", "A"],
        declared_on=[
            "01/01/2024",
            "02/01/2024",
            "01/01/2024",
            "01/01/2024",
            "03/01/2024",
        ],
    )
    assert calls == [3]
    assert list(result.records["matched_cis"].fillna("")) == [
        "60234100",
        "60234100",
        "",
        "",
        "60234100",
    ]
    assert list(result.records["match_method"]) == [
        "exact",
        "exact",
        "review",
        "unmatched",
        "exact",
    ]
    assert result.matches == {
        "exact": 3,
        "alias": 0,
        "fuzzy": 0,
        "ambiguous": 1,
        "unmatched": 1,
        "excluded": 0,
    }
    assert {c for _p, c in codes(result)} == {
        "MEDICINE_TO_REVIEW",
        "MEDICINE_UNMATCHED",
    }


def test_a_mapping_without_a_required_field_names_it() -> None:
    spec = MappingSpec(columns={"product_name": "Nom"})
    with pytest.raises(MappingError) as info:
        apply_mapping(pd.DataFrame({"Nom": ["x"]}), SHORTAGES, spec)
    assert info.value.code == "REQUIRED_FIELD_UNMAPPED"
    assert ["classification"] in info.value.params["fields"]


def test_constants_fill_a_field_and_empty_cells() -> None:
    spec = MappingSpec(
        columns={
            "product_name": "Nom",
            "declared_on": "Date",
            "classification": "Statut",
        },
        constants={"classification": "rupture"},
    )
    raw = pd.DataFrame(
        {"Nom": ["x", "y"], "Date": ["01/01/2024"] * 2, "Statut": ["", "risque"]},
        dtype="str",
    )
    result = clean(apply_mapping(raw, SHORTAGES, spec), SHORTAGES, spec, today=TODAY)
    assert list(result.records["classification"]) == ["rupture", "risque"]


def test_the_suggestion_reads_headers_values_and_prefers_a_saved_profile() -> None:
    columns = [
        {"name": "normalized_name", "samples": [("ABACAVIR 300 mg", 3)]},
        {"name": "status", "samples": [("Tension", 5), ("Rupture", 3)]},
        {"name": "start_date", "samples": [("2024-01-31", 1)]},
        {"name": "Colonne 4", "samples": [("3400935955838", 4)]},
    ]
    suggestion = suggest_mapping(SHORTAGES, columns)
    assert suggestion.spec.columns == {
        "classification": "status",
        "started_on": "start_date",
        "product_name": "normalized_name",
        "cip13": "Colonne 4",
    }
    assert suggestion.reasons["cip13"] == "values" and suggestion.complete
    saved = MappingSpec(
        columns={
            "classification": "status",
            "product_name": "start_date",
            "declared_on": "start_date",
        }
    )
    assert (
        suggest_mapping(SHORTAGES, columns, [("TrustMed", saved)]).based_on
        == "TrustMed"
    )


def test_diff_counts_added_removed_and_changed_rows_per_column() -> None:
    old = pd.DataFrame(
        {
            "record_key": ["a", "b", "c"],
            "state": ["ouvert", "ouvert", "ouvert"],
            "atc": ["N02", None, "A01"],
        }
    )
    new = pd.DataFrame(
        {
            "record_key": ["b", "c", "d"],
            "state": ["ferme", "ouvert", "ouvert"],
            "atc": [None, "A02", "B01"],
        }
    )
    result = diff_records(old, new, ["state", "atc"])
    assert result["added"] == ["d"] and result["removed"] == ["a"]
    assert sorted(result["changed"]) == ["b", "c"]
    assert result["per_column"] == {"state": 1, "atc": 1}


@pytest.mark.parametrize("value", ["=1+1", "+33 1", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_formula_like_text_is_neutralised(value: str) -> None:
    assert neutralise(value) == "'" + value
    assert neutralise("Doliprane") == "Doliprane"


def test_another_family_fits_without_new_pipeline_code() -> None:
    """An aggregate family (counts per year, sex and seriousness, no medicine)
    is only a declaration: the same chain types, validates and keys it."""
    from datasets.pipeline.schema import Aggregate, FamilySchema, FieldSpec, RowRule

    family = FamilySchema(
        key="toy_pharmacovigilance",
        label="Cas déclarés",
        fields=(
            FieldSpec(
                "year",
                "Année",
                type="integer",
                required=True,
                min_value=2000,
                max_value=2100,
            ),
            FieldSpec("substance", "Substance", required=True),
            FieldSpec(
                "sex",
                "Sexe",
                type="vocabulary",
                vocabulary={"F": "Femme", "M": "Homme"},
                synonyms={"femme": "F", "homme": "M"},
            ),
            FieldSpec(
                "cases", "Nombre de cas", type="integer", required=True, min_value=0
            ),
        ),
        natural_keys=(("year", "substance", "sex"),),
        rules=(RowRule("SEX_OR_TOTAL", "any_of", ("sex", "substance")),),
        aggregates=(Aggregate("per_year", "Cas par année", ("year",)),),
        row_level=False,
    )
    raw = pd.DataFrame(
        {
            "Année": ["2021", "2021", "1899", "2022", "2022"],
            "Substance": ["paracétamol"] * 5,
            "Sexe": ["Femme", "Homme", "Femme", "Inconnu", "F"],
            "Cas": ["12", "x", "3", "4", "-1"],
        },
        dtype="str",
    )
    spec = MappingSpec(
        columns={
            "year": "Année",
            "substance": "Substance",
            "sex": "Sexe",
            "cases": "Cas",
        }
    )
    result = clean(apply_mapping(raw, family, spec), family, spec, today=TODAY)
    assert codes(result) == [
        (1, "INVALID_INTEGER"),
        (2, "OUT_OF_RANGE"),
        (3, "UNKNOWN_VALUE"),
        (4, "OUT_OF_RANGE"),
    ]
    assert list(result.records["cases"]) == [12]
    assert list(result.records["record_key"]) == [
        "year+substance+sex=2021|paracétamol|F"
    ]
