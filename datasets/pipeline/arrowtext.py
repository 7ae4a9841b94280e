"""Text columns as Arrow arrays: the pipeline's hot string work runs in Arrow's
compute kernels (C++, no Python object per cell), and costly per-value work is
done once per distinct value through dictionary encoding.

pandas keeps text columns in Arrow already (its ``str`` dtype); these helpers
move between the two without copying the strings one by one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

#: pandas' text dtype backed by Arrow, with NaN for missing values ("str").
TEXT = pd.StringDtype("pyarrow", na_value=np.nan)

#: Every character Python's ``str.split()`` treats as a space, in RE2 syntax
#: (RE2's ``\s`` alone is ASCII-only: no non-breaking or narrow spaces).
_SPACES = r"[\s\x{0b}\x{1c}-\x{1f}\x{85}\p{Z}]+"


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


def repeated(text: str, length: int, index: pd.Index | None = None) -> pd.Series:
    """A ``str`` series holding ``text`` ``length`` times (built by Arrow, not
    from a Python list of a million references)."""
    one = pa.array([text], pa.large_string())
    return to_series(pc.take(one, np.zeros(length, dtype=np.int32)), index)


def is_blank(series: pd.Series) -> bool:
    """Whether every value is missing or empty."""
    array = to_arrow(series)
    if array.null_count == len(array):
        return True
    longest = pc.max(pc.binary_length(array)).as_py()
    return bool(longest == 0)


def collapse_spaces(series: pd.Series) -> pd.Series:
    """Runs of spaces, tabs, line breaks and non-breaking spaces as one space,
    ends trimmed; missing values become empty strings."""
    array = pc.fill_null(to_arrow(series), "")
    array = pc.utf8_trim(pc.replace_substring_regex(array, _SPACES, " "), " ")
    return to_series(array, series.index)


def fold_arrow(series: pd.Series) -> pd.Series:
    """``mapping.fold`` in Arrow kernels: decomposed (NFKD), accents dropped,
    lower case, every run of characters other than a-z and 0-9 as one space,
    ends trimmed; missing values fold to ""."""
    array = pc.utf8_normalize(pc.fill_null(to_arrow(series), ""), "NFKD")
    array = pc.utf8_lower(pc.replace_substring_regex(array, r"\p{Mn}+", ""))
    array = pc.replace_substring_regex(array, r"[^0-9a-z]+", " ")
    return to_series(pc.utf8_trim(array, " "), series.index)


class Distinct:
    """A text column as its distinct values plus, per row, which one it holds:
    work on ``uniques`` (a few thousand values) and ``spread`` the result back
    to the million rows with one vectorised take."""

    def __init__(self, series: pd.Series) -> None:
        encoded = pc.dictionary_encode(to_arrow(series), null_encoding="encode")
        self.index = series.index
        self.codes: np.ndarray = encoded.indices.to_numpy(zero_copy_only=False)
        self.uniques = to_series(encoded.dictionary)

    def spread(self, values: pd.Series) -> pd.Series:
        """Per-distinct results as per-row results (dtype kept)."""
        out = values.take(self.codes)
        out.index = self.index
        return out

    def rows(self, flags: np.ndarray | pd.Series) -> np.ndarray:
        """A boolean per distinct value as a boolean per row."""
        rows: np.ndarray = np.asarray(flags, dtype=bool)[self.codes]
        return rows


def per_distinct(
    series: pd.Series, func: Callable[[pd.Series], pd.Series]
) -> pd.Series:
    """``func`` applied to the distinct values only, spread back to every row."""
    distinct = Distinct(series)
    return distinct.spread(func(distinct.uniques))
