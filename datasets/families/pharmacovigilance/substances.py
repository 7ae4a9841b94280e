"""Drug texts typed « Substance » matched to the referential's substances: the
cascade of DOMAIN.md §3.4 C, on the distinct texts only (a few thousand), never
per row.

1. normalise (upper case; É, È → E, À → A, Ï → I; "((" → "(", "))" → ")"), the
   same way for the referential's names;
2. exact match against every name of a substance;
3. a one-word text whose word is the first word of exactly one substance;
4. a text whose first word is the first word of exactly one substance, except
   generic first words (VACCIN, JUS, CHLORATE, ELIXIR, GRAINE);
5. the bracketed part moved in front ("X (Y)" becomes "Y X"), then exact match.

What stays unmatched goes to the review queue. Pure.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Final

import pandas as pd

GENERIC_FIRST_WORDS: Final = frozenset(
    {"VACCIN", "JUS", "CHLORATE", "ELIXIR", "GRAINE"}
)
_ACCENTS: Final = str.maketrans({"É": "E", "È": "E", "À": "A", "Ï": "I"})
_BRACKETED: Final = re.compile(r"^(?P<head>[^(]*?)\s*\((?P<inner>[^()]*)\)\s*$")


def normalise(text: str) -> str:
    """The cascade's normal form (only what the earlier scripts normalised)."""
    upper = " ".join(str(text).upper().translate(_ACCENTS).split())
    return upper.replace("((", "(").replace("))", ")")


def _first_word(text: str) -> str:
    return text.split(" ", 1)[0] if text else ""


def match_substances(texts: pd.Series, names: pd.DataFrame) -> pd.DataFrame:
    """For each distinct text: ``code`` (the substance's code, or NA) and
    ``method`` (``exact``, ``one_word``, ``first_word``, ``bracket`` or
    ``unmatched``). ``names`` has ``name`` and ``code`` columns: every name of a
    substance (a name given for two substances names neither)."""
    table = names.assign(key=names["name"].map(normalise)).drop_duplicates(
        ["key", "code"]
    )
    per_key = table.groupby("key")["code"].unique()
    exact = {key: codes[0] for key, codes in per_key.items() if len(codes) == 1}
    first_words = Counter(
        _first_word(key) for key in table.drop_duplicates("code")["key"]
    )
    by_first = {
        _first_word(key): code
        for key, code in table.drop_duplicates("code")[["key", "code"]].itertuples(
            index=False
        )
        if first_words[_first_word(key)] == 1
    }
    rows = []
    for text in pd.unique(texts.dropna()):
        key = normalise(text)
        code, method = exact.get(key), "exact"
        word = _first_word(key)
        if code is None and " " not in key:
            code, method = by_first.get(word), "one_word"
        if code is None and word not in GENERIC_FIRST_WORDS:
            code, method = by_first.get(word), "first_word"
        if code is None and (found := _BRACKETED.match(key)):
            code = exact.get(f"{found['inner']} {found['head']}".strip())
            method = "bracket"
        rows.append((text, code, method if code is not None else "unmatched"))
    return pd.DataFrame(rows, columns=["text", "code", "method"])
