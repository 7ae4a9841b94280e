"""Counting distinct units (cases, declarations), never rows, and counting
through a link (a case's drugs to their substances): the general part of the
aggregate tables of families whose rows are not their units. Pure."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

COUNT = "n"


def count_distinct(
    frame: pd.DataFrame, unit: Sequence[str], by: Sequence[str]
) -> pd.DataFrame:
    """Distinct ``unit`` tuples per group of ``by`` (missing group values are
    their own group): columns ``by`` then ``n``, largest groups first, ties in
    the groups' order."""
    distinct = frame.drop_duplicates([*unit, *by])
    counts = distinct.groupby(list(by), dropna=False).size().rename(COUNT)
    table = counts.reset_index()
    return table.sort_values(
        [COUNT, *by], ascending=[False, *([True] * len(by))], kind="stable"
    ).reset_index(drop=True)


def through(
    frame: pd.DataFrame, link: pd.DataFrame, unit: Sequence[str], entity: str
) -> pd.DataFrame:
    """``frame`` (one or more rows per unit) with the ``entity`` column of every
    entity the unit links to: a unit linked to two substances is in both, once
    each however many of its drugs name the same substance. Units without a
    link are left out."""
    pairs = link[[*unit, entity]].dropna(subset=[entity]).drop_duplicates()
    return frame.merge(pairs, on=list(unit), how="inner")
