"""Tests of referential_admin.matching (pure pandas/rapidfuzz, no Django, no database).

The last tests use the public BDPM snapshot bundled with the tests (see
``tests.realdata``) and a seeded labelled set from ``bench.labelled_set``.
"""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bench.labelled_set import (
    evaluate,
    indexed_specialities,
    make_labelled_set,
    read_presentations,
    read_specialities,
)
from referential_admin.matching import (
    METHODS,
    MatchPolicy,
    ReferentialIndex,
    match_labels,
    normalise_label,
    normalise_series,
    sorted_key,
    strength_tokens,
)
from tests.referential_admin.conftest import REAL_BDPM

BDPM_DIR = REAL_BDPM
# The real files are part of the test environment: missing, they fail.
needs_real_data = pytest.mark.usefixtures("real_bdpm_dir")

SPECIALITIES = pd.DataFrame(
    [
        ("60000001", "DOLIPRANE 1000 mg, comprimé", "comprimé"),
        ("60000002", "DOLIPRANE 500 mg, gélule", "gélule"),
        ("60000003", "DOLIPRANE 2,4 %, suspension buvable", "suspension buvable"),
        ("60000004", "AMOXICILLINE ARROW 500 mg, gélule", "gélule"),
        ("60000005", "AMOXICILLINE BIOGARAN 500 mg, gélule", "gélule"),
        (
            "60000006",
            "AMOXICILLINE ARROW 1 g, comprimé dispersible",
            "comprimé dispersible",
        ),
        (
            "60000007",
            "LEVOTHYROX 50 microgrammes, comprimé sécable",
            "comprimé sécable",
        ),
        (
            "60000008",
            "LEVOTHYROX 75 microgrammes, comprimé sécable",
            "comprimé sécable",
        ),
        (
            "60000009",
            "KARDEGIC 75 mg, poudre pour solution buvable en sachet",
            "poudre pour solution buvable en sachet",
        ),
        ("60000010", "ARIMIDEX 1 mg, comprimé pelliculé", "comprimé pelliculé"),
        ("60000011", "ARIMIDEX 1 mg, comprimé pelliculé", "comprimé pelliculé"),
        ("60000012", "TAHOR 10 mg, comprimé pelliculé", "comprimé pelliculé"),
        ("60000013", "TAHOR 40 mg, comprimé pelliculé", "comprimé pelliculé"),
        (
            "60000014",
            "ABACAVIR/LAMIVUDINE ARROW 600 mg/300 mg, comprimé pelliculé",
            "comprimé pelliculé",
        ),
        (
            "60000015",
            "VENLAFAXINE ARROW LP 75 mg, gélule à libération prolongée",
            "gélule à libération prolongée",
        ),
        ("60000016", "VOLTARENE EMULGEL 1 %, gel", "gel"),
    ],
    columns=["cis", "name", "form"],
)
PRESENTATIONS = pd.DataFrame(
    {
        "cis": ["60000001", "60000012"],
        "cip7": ["3456789", "2345678"],
        "cip13": ["3400934567890", "3400923456781"],
    }
)


@pytest.fixture(scope="module")
def index() -> ReferentialIndex:
    return ReferentialIndex.build(
        SPECIALITIES, PRESENTATIONS, aliases={"DOLI 1G": "60000001"}
    )


def _one(index: ReferentialIndex, label: str | None, code: str | None = None) -> dict:
    codes = None if code is None else [code]
    result = match_labels(index, [label], codes)
    row: dict = result.iloc[0].to_dict()
    return row


# --------------------------------------------------------------------------------------
# Normalisation
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Comprimé PELLICULÉ sécable", "comprime pellicule secable"),
        ("GÉLULE gastro-résistante", "gelule gastro resistant"),
        ("gastro-résistant(e)", "gastro resistant"),
        ("  DOLIPRANE\t 1000   mg ,, ", "doliprane 1000 mg"),
        ("L'ACTONEL 35 mg", "l actonel 35 mg"),
        ("L\u2019ACTONEL 35 mg", "l actonel 35 mg"),
        ("ABACAVIR/LAMIVUDINE 600 mg / 300 mg", "abacavir lamivudine 600 mg/300 mg"),
        ("5 mg/ml", "5 mg/ml"),
        ("5 mg / mL", "5 mg/ml"),
        ("ALPRAZOLAM 0,50 mg", "alprazolam 0.5 mg"),
        ("0.5 mg", "0.5 mg"),
        # The ANSM's shortage lists add the substance in brackets.
        ("Camzyos 5 mg, gélule \u2013 [mavacamten]", "camzyos 5 mg gelule"),
        ("XYLOCAINE 5 mg/ml - [lidocaïne] ", "xylocaine 5 mg/ml"),
    ],
)
def test_normalise_accents_case_punctuation(raw: str, expected: str) -> None:
    assert normalise_label(raw) == expected


@pytest.mark.parametrize(
    "raw", ["1000mg", "1 000 mg", "1000 mg", "1000 MG", "1 g", "1g"]
)
def test_normalise_dosage_spacing(raw: str) -> None:
    assert normalise_label(raw) == "1000 mg"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2 100 mg", "2100 mg"),  # a space before 3 digits is a thousands separator
        ("100 000 UI", "100000 ui"),
        ("1.000.000 U.I.", "1000000 ui"),
        ("750.000 UI", "750000 ui"),
        ("0,5 g", "500 mg"),
        ("0,25 g", "250 mg"),
        ("1,5 g", "1500 mg"),
        ("2 g/100 ml", "2000 mg/100 ml"),
        ("2,5 mg", "2.5 mg"),
    ],
)
def test_normalise_numbers(raw: str, expected: str) -> None:
    assert normalise_label(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("250 µg/dose", "250 microgrammes/dose"),
        ("250 mcg", "250 microgrammes"),
        ("250 microgramme", "250 microgrammes"),
        ("10 U.I./ml", "10 ui/ml"),
        ("10 POUR CENT", "10 %"),
        ("1%", "1 %"),
    ],
)
def test_normalise_units(raw: str, expected: str) -> None:
    assert normalise_label(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("cp", "comprime"),
        ("CPR pell séc.", "comprime pellicule sec"),
        ("sol buv", "solution buvable"),
        ("sol. inj.", "solution injectable"),
        ("inj", "injectable"),
        ("gél", "gelule"),
        ("GÉL.", "gelule"),
        ("gelu", "gelule"),
        ("gel", "gel"),
        ("gélules", "gelule"),
        ("LP", "a liberation prolongee"),
        ("L.P.", "a liberation prolongee"),
        ("susp", "suspension"),
        ("pdre pr perf", "poudre pour perfusion"),
        ("amp", "ampoule"),
        ("fl", "flacon"),
        ("sach", "sachet"),
        ("caps molle", "capsule molle"),
        ("seringue pré-remplie", "seringue preremplie"),
    ],
)
def test_normalise_abbreviations(raw: str, expected: str) -> None:
    assert normalise_label(raw) == expected


def test_sorted_key_ignores_word_order() -> None:
    a = normalise_label("DOLIPRANE 1000 mg, comprimé")
    b = normalise_label("comprimé 1000mg Doliprane")
    assert a != b
    assert sorted_key(a) == sorted_key(b)


@pytest.mark.parametrize("raw", [None, "", "   ", float("nan"), ",;:"])
def test_normalise_empty(raw: str | None) -> None:
    assert normalise_label(raw) == ""


def test_normalise_series_matches_label_and_keeps_index() -> None:
    raw = pd.Series(
        ["Doliprane 1000mg cp", None, "Doliprane 1000mg cp", "gél"], index=[5, 6, 7, 8]
    )
    result = normalise_series(raw)
    assert list(result.index) == [5, 6, 7, 8]
    assert result.tolist() == [
        "doliprane 1000 mg comprime",
        "",
        "doliprane 1000 mg comprime",
        "gelule",
    ]
    assert normalise_series(pd.Series([], dtype=object)).tolist() == []


_TEXT = st.lists(
    st.one_of(
        st.characters(codec="latin-1"),
        st.sampled_from("µμ’‘ʼ×œŒæÆßẞİı°²…–—\u0301\u0300/.,%-() "),
        st.sampled_from(["mg", "ml", "U.I.", "cp", "gél", "LP", "1 000", "0,5", " g"]),
    ),
    max_size=20,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.lists(_TEXT, min_size=1, max_size=20))
# Found by this test: grams turned into milligrams after a number ("1 500 mg")
# were grouped as thousands only when normalised a second time.
@example(["0:0,5 g", "1 0,5 g"])
def test_normalise_series_equals_label_and_is_idempotent(texts: list[str]) -> None:
    vectorised = normalise_series(pd.Series(texts, dtype=object)).tolist()
    assert vectorised == [normalise_label(t) for t in texts]
    assert [normalise_label(v) for v in vectorised] == vectorised


# --------------------------------------------------------------------------------------
# Strength tokens
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("DOLIPRANE 1000mg cp", {"1000 mg"}),
        ("PARACETAMOL 1 g", {"1000 mg"}),
        ("X 5 mg/ml sol buv", {"5 mg/ml"}),
        ("ABACAVIR/LAMIVUDINE 600 mg/300 mg", {"600 mg", "300 mg"}),
        ("BECOTIDE 250 µg/dose", {"250 microgrammes/dose"}),
        ("DICLOFENAC 1 %, gel", {"1 %"}),
        ("DOLIPRANE 1000", {"1000"}),
        ("VITAMINE B12, comprimé", set()),
        ("DOLIPRANE", set()),
    ],
)
def test_strength_tokens(raw: str, expected: set[str]) -> None:
    assert strength_tokens(normalise_label(raw)) == frozenset(expected)


# --------------------------------------------------------------------------------------
# Cascade
# --------------------------------------------------------------------------------------


def test_result_columns_and_order(index: ReferentialIndex) -> None:
    labels = ["TAHOR 10 mg, comprimé pelliculé", None, "DOLIPRANE 500 mg gélule"]
    result = match_labels(index, labels)
    assert list(result.columns) == [
        "input_index",
        "raw",
        "cis",
        "method",
        "score",
        "auto_accepted",
        "candidates",
    ]
    assert result["input_index"].tolist() == [0, 1, 2]
    assert result["raw"].tolist() == labels
    assert result["cis"].tolist() == ["60000012", None, "60000002"]
    assert set(result["method"]) <= set(METHODS)
    assert result["auto_accepted"].dtype == bool
    assert result["score"].between(0, 100).all()


def test_code_beats_alias_beats_exact_beats_fuzzy(index: ReferentialIndex) -> None:
    # The label is an alias of 60000001 but the code says 60000012: the code wins.
    coded = _one(index, "DOLI 1G", code="60000012")
    assert (coded["cis"], coded["method"], coded["auto_accepted"]) == (
        "60000012",
        "code",
        True,
    )
    alias = _one(index, "doli 1g")
    assert (alias["cis"], alias["method"], alias["auto_accepted"]) == (
        "60000001",
        "alias",
        True,
    )
    exact = _one(index, "doliprane 1000MG, cp")
    assert (exact["cis"], exact["method"], exact["score"]) == (
        "60000001",
        "exact",
        100.0,
    )
    reordered = _one(index, "comprimé DOLIPRANE 1000 mg")
    assert (reordered["cis"], reordered["method"]) == ("60000001", "exact")
    fuzzy = _one(index, "DOLIPRANE 1000 mg, comprimés secs")
    assert (fuzzy["cis"], fuzzy["method"]) == ("60000001", "fuzzy")


def test_alias_beats_exact_name() -> None:
    index = ReferentialIndex.build(
        SPECIALITIES, aliases={"TAHOR 10 mg, comprimé pelliculé": "60000013"}
    )
    row = _one(index, "TAHOR 10 mg comprimé pelliculé")
    assert (row["cis"], row["method"]) == ("60000013", "alias")


def test_alias_to_unknown_cis_is_ignored() -> None:
    index = ReferentialIndex.build(SPECIALITIES, aliases={"TAHOR 10 mg": "69999999"})
    assert "tahor 10 mg" not in index.aliases


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("60000013", "60000013"),  # CIS
        ("3456789", "60000001"),  # CIP7
        ("3400923456781", "60000012"),  # CIP13
        (" 3400923456781.0", "60000012"),  # spreadsheet float
        ("3400 923 456 781", "60000012"),
    ],
)
def test_code_lookups(index: ReferentialIndex, code: str, expected: str) -> None:
    row = _one(index, "whatever the label says", code=code)
    assert (row["cis"], row["method"], row["auto_accepted"]) == (expected, "code", True)


def test_code_found_in_label_text(index: ReferentialIndex) -> None:
    assert _one(index, "Tahor (CIP 3400923456781)")["cis"] == "60000012"
    assert _one(index, "boîte 3456789")["cis"] == "60000001"
    assert _one(index, "CIS 60000013 tahor")["cis"] == "60000013"


def test_unknown_code_falls_through(index: ReferentialIndex) -> None:
    row = _one(index, "TAHOR 40 mg, comprimé pelliculé", code="3400900000000")
    assert (row["cis"], row["method"]) == ("60000013", "exact")


def test_large_number_with_unit_is_not_a_code() -> None:
    index = ReferentialIndex.build(
        SPECIALITIES,
        pd.DataFrame({"cis": ["60000001"], "cip7": ["1000000"]}),
    )
    assert _one(index, "ADRIGYL 1000000 UI")["method"] != "code"


def test_codes_length_must_match(index: ReferentialIndex) -> None:
    with pytest.raises(ValueError, match="same length"):
        match_labels(index, ["a", "b"], ["60000001"])


# --------------------------------------------------------------------------------------
# Decisions
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("label", ["DOLIPRANE", "doliprane", "AMOXICILLINE ARROW"])
def test_brand_only_is_ambiguous(index: ReferentialIndex, label: str) -> None:
    row = _one(index, label)
    assert row["method"] == "ambiguous"
    assert not row["auto_accepted"]
    assert len(row["candidates"]) >= 2


def test_brand_only_single_speciality_is_not_accepted(index: ReferentialIndex) -> None:
    row = _one(index, "KARDEGIC")
    assert row["cis"] == "60000009"
    assert row["method"] == "ambiguous"
    assert not row["auto_accepted"]


def test_near_twin_with_another_strength_is_not_accepted(
    index: ReferentialIndex,
) -> None:
    row = _one(index, "TAHOR 20 mg, comprimé pelliculé")
    assert not row["auto_accepted"]
    assert {c[0] for c in row["candidates"]} >= {"60000012", "60000013"}
    row = _one(index, "LEVOTHYROX 100 µg, cp séc")
    assert not row["auto_accepted"]


def test_without_strength_check_twins_stay_ambiguous(index: ReferentialIndex) -> None:
    label = ["TAHOR 20 mg, comprimé pelliculé"]
    relaxed = MatchPolicy(auto_accept_score=50, require_strength_agreement=False)
    strict = match_labels(index, label)
    assert not strict.loc[0, "auto_accepted"]
    # Without the strength check nothing singles out 10 mg from 40 mg either.
    assert not match_labels(index, label, policy=relaxed).loc[0, "auto_accepted"]


def test_fuzzy_match_with_typos_is_accepted(index: ReferentialIndex) -> None:
    row = _one(index, "LEVOTHIROX 75 mcg cp secable")
    assert (row["cis"], row["method"], row["auto_accepted"]) == (
        "60000008",
        "fuzzy",
        True,
    )


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("abacavir lamivudine arrow 600mg/300mg cp pell", "60000014"),
        ("ARROW ABACAVIR/LAMIVUDINE 600 mg / 300 mg comprimé pelliculé", "60000014"),
        ("VENLAFAXINE ARROW L.P. 75 mg gél. à lib. prolongée", "60000015"),
        ("voltarene emulgel 1% gel", "60000016"),
    ],
)
def test_messy_labels_are_accepted(
    index: ReferentialIndex, label: str, expected: str
) -> None:
    row = _one(index, label)
    assert (row["cis"], row["auto_accepted"]) == (expected, True)


def test_typo_in_first_token_is_found(index: ReferentialIndex) -> None:
    row = _one(index, "DOLIPARNE 500mg gel")
    assert "60000002" in [c[0] for c in row["candidates"]]
    row = _one(index, "AMOXCILLINE BIOGARAN 500 mg gélule")
    assert row["candidates"][0][0] == "60000005"


def test_other_lab_is_not_accepted(index: ReferentialIndex) -> None:
    # AMOXICILLINE SANDOZ is not in the referential: ARROW and BIOGARAN are near.
    row = _one(index, "AMOXICILLINE SANDOZ 500 mg, gélule")
    assert not row["auto_accepted"]


def test_identical_names_are_ambiguous(index: ReferentialIndex) -> None:
    row = _one(index, "ARIMIDEX 1 mg, comprimé pelliculé")
    assert row["method"] == "ambiguous"
    assert not row["auto_accepted"]
    assert {c[0] for c in row["candidates"]} == {"60000010", "60000011"}


def test_dropped_form_accepted_only_when_one_form_exists(
    index: ReferentialIndex,
) -> None:
    single = _one(index, "TAHOR 40 mg")
    assert (single["cis"], single["auto_accepted"]) == ("60000013", True)
    policy = MatchPolicy(accept_unstated_form=False)
    strict = match_labels(index, ["TAHOR 40 mg"], policy=policy).iloc[0]
    assert not strict["auto_accepted"]


def test_auto_accept_override(index: ReferentialIndex) -> None:
    label = ["LEVOTHIROX 75 mcg cp secable"]
    assert not match_labels(index, label, auto_accept=100.0).loc[0, "auto_accepted"]


@pytest.mark.parametrize("label", [None, "", "   ", float("nan")])
def test_missing_labels_are_unmatched(
    index: ReferentialIndex, label: str | None
) -> None:
    row = _one(index, label)
    assert (row["cis"], row["method"], row["auto_accepted"]) == (
        None,
        "unmatched",
        False,
    )
    assert row["candidates"] == []


def test_gibberish_is_unmatched(index: ReferentialIndex) -> None:
    row = _one(index, "zzzz qqqq")
    assert (row["cis"], row["method"]) == (None, "unmatched")


def test_candidates_are_limited_and_ranked(index: ReferentialIndex) -> None:
    result = match_labels(index, ["DOLIPRANE"], candidates=2)
    cands = result.loc[0, "candidates"]
    assert len(cands) == 2
    assert cands[0][2] >= cands[1][2]
    assert all(isinstance(c, tuple) and len(c) == 3 for c in cands)


def test_duplicates_give_the_same_result_as_distinct_labels(
    index: ReferentialIndex,
) -> None:
    distinct = [
        "TAHOR 10 mg, comprimé pelliculé",
        "doliprane 1000mg",
        "DOLIPRANE",
        None,
        "LEVOTHIROX 75 mcg cp secable",
        "Tahor 10mg cp pell",
    ]
    repeated = distinct * 3 + list(reversed(distinct))
    once = match_labels(index, distinct).drop(columns=["input_index"])
    many = match_labels(index, repeated).drop(columns=["input_index"])
    for i, label in enumerate(repeated):
        j = distinct.index(label)
        assert many.iloc[i].to_dict() == once.iloc[j].to_dict()
    # Result lists are independent objects.
    many.loc[0, "candidates"].clear()
    assert many.loc[len(distinct), "candidates"]


def test_accepts_a_series_of_labels_and_codes(index: ReferentialIndex) -> None:
    labels = pd.Series(["x", "TAHOR 40 mg, comprimé pelliculé"], index=[10, 20])
    codes = pd.Series(["3456789", None], index=[10, 20])
    result = match_labels(index, labels, codes)
    assert result["cis"].tolist() == ["60000001", "60000013"]


# --------------------------------------------------------------------------------------
# Real referential
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_specialities() -> pd.DataFrame:
    return read_specialities(BDPM_DIR / "CIS_bdpm.txt")


@needs_real_data
def test_real_names_normalise_the_same_way_and_idempotently(
    real_specialities: pd.DataFrame,
) -> None:
    names = real_specialities["name"]
    vectorised = normalise_series(names).tolist()
    assert vectorised == [normalise_label(n) for n in names]
    assert normalise_series(pd.Series(vectorised)).tolist() == vectorised


@needs_real_data
def test_real_referential_labelled_set(real_specialities: pd.DataFrame) -> None:
    labelled = make_labelled_set(real_specialities, 3_000, seed=20260101)
    index = ReferentialIndex.build(
        indexed_specialities(real_specialities, labelled),
        read_presentations(BDPM_DIR / "CIS_CIP_bdpm.txt"),
    )
    result = match_labels(index, labelled["label"].tolist())
    figures = evaluate(result, labelled)
    assert figures["top1"] >= 0.97, figures
    assert figures["auto_precision"] >= 0.995, figures
    assert figures["brand_only_auto_accepted"] == 0.0, figures
    assert figures["auto_rate"] >= 0.75, figures


def test_empty_input(index: ReferentialIndex) -> None:
    result = match_labels(index, [])
    assert len(result) == 0
    assert "candidates" in result.columns


@pytest.mark.parametrize(
    ("label", "name", "differ"),
    [
        ("COMBANTRIN 125 mg/5 ml, susp.", "COMBANTRIN 125 mg/2,5 ml, suspension", True),
        ("Xylocaïne 5 mg/ml, solution", "XYLOCAINE 10 mg/ml, solution", True),
        ("Xylocaïne 5 mg/ml, solution", "XYLOCAINE 5 mg/ml, solution, 20 ml", False),
        ("DOLIPRANE 1000 mg, comprimé", "DOLIPRANE 1 g, comprimé", False),
        ("DOLIPRANE, comprimé", "DOLIPRANE 500 mg, comprimé", False),
    ],
)
def test_a_candidate_lacking_the_labels_dosage_is_told_apart(
    label: str, name: str, differ: bool
) -> None:
    from referential_admin.matching import strengths_differ

    assert strengths_differ(label, name) is differ
