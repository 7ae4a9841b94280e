"""Row-level comparison of two versions of a family's records, by natural key."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd


def diff_records(
    old: pd.DataFrame, new: pd.DataFrame, columns: Sequence[str]
) -> dict[str, Any]:
    """Row-level diff by ``record_key``: keys added, removed and changed, and the
    number of changed rows per column."""
    left = old.drop_duplicates("record_key").set_index("record_key")
    right = new.drop_duplicates("record_key").set_index("record_key")
    added = right.index.difference(left.index)
    removed = left.index.difference(right.index)
    common = right.index.intersection(left.index)
    per_column: dict[str, int] = {}
    changed_mask = np.zeros(len(common), dtype=bool)
    for column in columns:
        a = left.loc[common, column].astype(object)
        b = right.loc[common, column].astype(object)
        differs = ~((a == b) | (a.isna() & b.isna())).to_numpy(dtype=bool)
        per_column[column] = int(differs.sum())
        changed_mask |= differs
    return {
        "added": list(added),
        "removed": list(removed),
        "changed": list(common[changed_mask]),
        "per_column": {k: v for k, v in per_column.items() if v},
    }
