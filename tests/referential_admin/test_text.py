"""Text folding (referential_admin.text): what headers, vocabularies and searches
compare, the same whether folded one by one or as a column."""

from __future__ import annotations

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from referential_admin.text import TEXT, fold, fold_series, to_arrow, to_series

#: Latin letters with and without accents, digits, punctuation and every kind of
#: space the extracts hold (no-break, narrow no-break, tab, line breaks).
ALPHABET = "aAbBeEéÉèÈêÊëçÇœŒîÏôÖûÜ09’'-_./,;:()% \u00a0\u202f\t\n\r"


def test_fold_drops_case_accents_and_punctuation() -> None:
    assert fold("  Date de DÉCLARATION ") == "date de declaration"
    assert fold("N° d'AMM / Spécialité") == "n d amm specialite"
    assert fold("Cœur\u00a0Œil") == "c ur il"  # œ is a letter of its own
    assert fold("") == ""


def test_fold_for_searches_keeps_punctuation_and_one_apostrophe() -> None:
    assert (
        fold("DOLIPRANE  1000 mg,\u202fcomprimé l’unité", keep_punctuation=True)
        == "doliprane 1000 mg, comprime l'unite"
    )


def test_missing_values_fold_to_empty_text() -> None:
    folded = fold_series(pd.Series(["Été", None, float("nan")], dtype=object))
    assert folded.tolist() == ["ete", "", ""]
    assert folded.dtype == TEXT


@given(st.lists(st.text(alphabet=ALPHABET, max_size=30), max_size=15))
def test_a_column_folds_as_its_values_one_by_one(values: list[str]) -> None:
    series = pd.Series(values, dtype=object, index=range(10, 10 + len(values)))
    for keep in (False, True):
        folded = fold_series(series, keep_punctuation=keep)
        assert folded.tolist() == [fold(v, keep_punctuation=keep) for v in values]
        assert list(folded.index) == list(series.index)


def test_text_crosses_between_pandas_and_arrow_unchanged() -> None:
    series = pd.Series(["a", None, "é"], dtype=TEXT, index=[3, 4, 5])
    back = to_series(to_arrow(series), series.index)
    assert back.iloc[0] == "a" and pd.isna(back.iloc[1]) and back.iloc[2] == "é"
    assert list(back.index) == [3, 4, 5]
