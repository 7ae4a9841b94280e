"""The aggregate tables a family publishes, computed from a version's records and
protected by disclosure control (the same tables for files, API and charts)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from datasets.families import get_family
from datasets.pipeline.schema import Aggregate
from datasets.records import record_model
from publications.disclosure import ProtectedTable, protect

COUNT_COLUMN = "n"


@dataclass
class AggregateTable:
    aggregate: Aggregate
    keys: list[str]
    table: ProtectedTable


def _frame(version: Any, names: list[str]) -> pd.DataFrame:
    model = record_model(get_family(version.family))
    rows = model._default_manager.filter(version=version).values_list(*names)
    return pd.DataFrame.from_records(list(rows), columns=names)


def _distinct_counts(
    data: pd.DataFrame, keys: list[str], units: pd.Series
) -> pd.Series:
    """Distinct ``units`` per group of ``keys``; a missing unit is a unit of its
    own (its row counts once)."""
    grouped = data.assign(_unit=units, _missing=units.isna()).groupby(
        keys, dropna=False
    )
    return grouped["_unit"].nunique() + grouped["_missing"].sum()


def aggregate_tables(version: Any) -> list[AggregateTable]:
    """Each declared aggregate of the version's family as a two-way table: rows
    are the first grouping (the year when the aggregate has one), columns the
    others joined with " · " (or a single count column). Families published as
    aggregates only get disclosure control; row-level families (their rows are
    public anyway) get their counts as they are."""
    schema = get_family(version.family)
    threshold = 1 if schema.row_level else schema.disclosure_threshold
    if not schema.aggregates:
        return []
    needed = sorted(
        {name for agg in schema.aggregates for name in agg.group_by}
        | {agg.year_of for agg in schema.aggregates if agg.year_of}
        | {agg.distinct for agg in schema.aggregates if agg.distinct}
    )
    frame = _frame(version, needed)
    tables = []
    for aggregate in schema.aggregates:
        data = pd.DataFrame(index=frame.index)
        keys: list[str] = []
        if aggregate.year_of:
            data["year"] = pd.to_datetime(frame[aggregate.year_of]).dt.year.astype(
                "Int64"
            )
            keys.append("year")
        for name in aggregate.group_by:
            data[name] = frame[name]
            keys.append(name)
        if not keys:
            continue
        # Text first: "—" (not given) cannot go into an integer column (years).
        data = data.astype(object).where(data.notna(), "—").astype(str)
        if aggregate.distinct:
            counts = _distinct_counts(data, keys, frame[aggregate.distinct])
        else:
            counts = data.groupby(keys, dropna=False).size()
        if len(keys) == 1:
            matrix = counts.to_frame(COUNT_COLUMN)
        else:
            rows = counts.index.get_level_values(0)
            columns = [
                " · ".join(str(part) for part in key[1:]) for key in counts.index
            ]
            matrix = (
                pd.DataFrame({"row": rows, "column": columns, "n": counts.to_numpy()})
                .pivot_table(index="row", columns="column", values="n", aggfunc="sum")
                .fillna(0)
                .astype(int)
            )
        tables.append(
            AggregateTable(
                aggregate=aggregate,
                keys=keys,
                table=protect(matrix, threshold=threshold),
            )
        )
    return tables


def disclosure_metadata(version: Any) -> dict[str, Any]:
    """What a release records of its disclosure control: the rule, and every
    hidden cell of the aggregates it publishes (with why it is hidden)."""
    schema = get_family(version.family)
    metadata: dict[str, Any] = {
        "threshold": schema.disclosure_threshold,
        "row_level": schema.row_level,
        "suppressed": {},
    }
    if schema.row_level:
        return metadata
    for item in aggregate_tables(version):
        metadata["suppressed"][item.aggregate.name] = [
            {
                "row": str(cell.row),
                "column": str(cell.column),
                "reason": cell.reason,
            }
            for cell in item.table.hidden
        ]
    return metadata
