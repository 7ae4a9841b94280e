"""Text columns as Arrow arrays: the pipeline's hot string work runs in Arrow's
compute kernels (C++, no Python object per cell), and costly per-value work is
done once per distinct value through dictionary encoding.

pandas keeps text columns in Arrow already (its ``str`` dtype); these helpers
move between the two without copying the strings one by one.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from referential_admin.text import SPACES, to_arrow, to_series


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
    array = pc.utf8_trim(pc.replace_substring_regex(array, SPACES, " "), " ")
    return to_series(array, series.index)


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
