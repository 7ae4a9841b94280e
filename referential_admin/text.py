"""Text rules shared by the BDPM import, matching and the datasets pipeline: how
text is folded for comparison, and how text columns move between pandas and
Arrow (whose compute kernels do the hot string work without a Python object per
cell).

Pure: standard library, NumPy, pandas and Arrow only. Folding has a scalar form
and a vectorised one that give the same answer.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

#: pandas' text dtype backed by Arrow, with NaN for missing values ("str").
TEXT = pd.StringDtype("pyarrow", na_value=np.nan)

#: Every character Python's ``str.split()`` treats as a space, in RE2 syntax
#: (RE2's ``\s`` alone is ASCII-only: no non-breaking or narrow spaces).
SPACES = r"[\s\x{0b}\x{1c}-\x{1f}\x{85}\p{Z}]+"

_NOT_ALPHANUMERIC = re.compile(r"[^0-9a-z]+")


def text_types(arrow_type: pa.DataType) -> Any:
    """``types_mapper`` for ``to_pandas``: Arrow text becomes pandas ``str``."""
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return TEXT
    return None


def to_arrow(series: pd.Series) -> pa.Array:
    """The series as one Arrow text array (missing values are nulls)."""
    if not (
        isinstance(series.dtype, pd.StringDtype) and series.dtype.storage == "pyarrow"
    ):
        series = series.astype(TEXT)
    array = pa.array(series.array)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    return array


def to_series(
    array: pa.Array | pa.ChunkedArray, index: pd.Index | None = None
) -> pd.Series:
    """An Arrow text array as a pandas ``str`` series (nulls become NaN)."""
    chunked = array if isinstance(array, pa.ChunkedArray) else pa.chunked_array([array])
    series = pd.Series(chunked.to_pandas(types_mapper=text_types))
    if series.dtype != TEXT:
        series = series.astype(TEXT)
    if index is not None:
        series.index = index
    return series


def fold(text: str, *, keep_punctuation: bool = False) -> str:
    """Text as compared: decomposed (NFKD), accents dropped, lower case, runs of
    spaces as one space, ends trimmed. Punctuation becomes a space too (every run
    of characters other than a-z and 0-9), unless ``keep_punctuation``: then the
    typographic apostrophe ’ becomes ' and the rest stays (the form searches of
    the referential compare)."""
    decomposed = unicodedata.normalize("NFKD", str(text))
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    lowered = stripped.lower()
    if keep_punctuation:
        return " ".join(lowered.replace("’", "'").split())
    return _NOT_ALPHANUMERIC.sub(" ", lowered).strip(" ")


def fold_series(series: pd.Series, *, keep_punctuation: bool = False) -> pd.Series:
    """``fold`` over a whole column in Arrow kernels (missing values fold to "");
    the result is a ``str`` series with the input's index."""
    array = pc.utf8_normalize(pc.fill_null(to_arrow(series), ""), "NFKD")
    array = pc.utf8_lower(pc.replace_substring_regex(array, r"\p{Mn}+", ""))
    if keep_punctuation:
        array = pc.replace_substring(array, "’", "'")
        array = pc.replace_substring_regex(array, SPACES, " ")
    else:
        array = pc.replace_substring_regex(array, r"[^0-9a-z]+", " ")
    return to_series(pc.utf8_trim(array, " "), series.index)


_STRENGTH = re.compile(r"\s+\d.*$")


def brand_of(name: str) -> str:
    """A speciality's brand, as a « Produit » text names it: its name without
    strength and form (« DOLIPRANE 1000 mg, comprimé » → « DOLIPRANE »)."""
    return _STRENGTH.sub("", name.split(",")[0]).strip() or name
