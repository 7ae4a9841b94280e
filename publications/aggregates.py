"""The aggregate tables a family publishes, computed from a version's records and
protected by disclosure control (the same tables for files, API and charts)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from datasets.families import get_family
from datasets.pipeline.schema import Aggregate
from datasets.records import record_model
from publications.disclosure import (
    TOTAL,
    ProtectedTable,
    protect,
    protect_line,
)

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
    if schema.tables is not None:
        metadata.update(suppression_summary(version))
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


STATUS_VALUE, STATUS_SUPPRESSED, STATUS_ZERO = "value", "suppressed", "zero"


def _status(count: int | None, raw: int) -> str:
    if count is None:
        return STATUS_SUPPRESSED
    return STATUS_ZERO if raw == 0 else STATUS_VALUE


def version_records(version: Any) -> pd.DataFrame:
    """Every record of the version with its fields and matched CIS, in one
    query (a frame, not model instances)."""
    schema = get_family(version.family)
    return _frame(version, [*schema.field_names, "matched_cis"])


#: The last tables computed, by version, cleaning and referential state: a
#: publication reads them for its files and its method note alike.
_LAST_TABLES: dict[tuple[Any, ...], dict[str, Any]] = {}


def release_tables(version: Any) -> dict[str, Any]:
    """The tables a release of the version would publish, after disclosure
    control, in the API's shape (see ``protected_tables``). Computed once per
    version, cleaning and state of the referential (the last one is kept):
    callers read the result, never change it."""
    from referential_admin.selectors import referential_state, speciality_substances

    schema = get_family(version.family)
    if schema.tables is None:
        raise ValueError(f"family {version.family} has no release tables")
    threshold = schema.disclosure_threshold
    key = (version.pk, version.cleaned_at, referential_state(), threshold)
    if key not in _LAST_TABLES:
        tables = schema.tables(version_records(version), speciality_substances())
        _LAST_TABLES.clear()
        _LAST_TABLES[key] = protected_tables(
            tables,
            threshold,
            unit=schema.table_unit,
            additive=schema.additive_tables,
        )
    return _LAST_TABLES[key]


def _matrix(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    if len(keys) == 2:
        return (
            frame.pivot_table(
                index=keys[0], columns=keys[1], values=COUNT_COLUMN, aggfunc="sum"
            )
            .fillna(0)
            .astype(int)
        )
    return frame.set_index(keys[0])[[COUNT_COLUMN]]


@dataclass
class _Grid:
    """A protected table as arrays: counts, hidden cells, hidden row totals."""

    rows: list[Any]
    columns: list[Any]
    counts: np.ndarray
    hidden: np.ndarray
    total_hidden: np.ndarray


def _grid(matrix: pd.DataFrame, threshold: int, *, entity: bool) -> _Grid:
    """Protect a split of the cases: a global one with its total (the engine),
    an entity's line by line (``protect_line``: each entity's categories and
    total are its only line, nothing sums entities whose cases overlap)."""
    rows, columns = list(matrix.index), list(matrix.columns)
    counts = matrix.to_numpy(dtype=np.int64)
    hidden = (counts > 0) & (counts < threshold)
    total_hidden = np.zeros(len(rows), dtype=bool)
    if not entity:
        table = protect(matrix, threshold=threshold)
        hidden = np.array(
            [[table.value(r, c) is None for c in columns] for r in rows], dtype=bool
        ).reshape(counts.shape)
        total_hidden[:] = table.value(TOTAL, COUNT_COLUMN) is None
    else:
        for i in np.flatnonzero(hidden.any(axis=1)):
            hidden[i], total_hidden[i] = protect_line(counts[i], threshold)
    return _Grid(rows, columns, counts, hidden, total_hidden)


def _statuses(counts: np.ndarray, hidden: np.ndarray) -> np.ndarray:
    return np.where(
        hidden, STATUS_SUPPRESSED, np.where(counts == 0, STATUS_ZERO, STATUS_VALUE)
    )


def _entity_keys(tables: Mapping[str, pd.DataFrame], unit: str) -> set[str]:
    """The keys that name an entity (``substance_code``, ``cis``): those of the
    ``…_<unit>`` tables (each entity's total)."""
    return {
        column
        for name, frame in tables.items()
        if name.endswith(f"_{unit}")
        for column in frame.columns
        if column != COUNT_COLUMN
    }


def _keys(frame: pd.DataFrame) -> list[str]:
    return [column for column in frame.columns if column != COUNT_COLUMN]


def _total_row(cases_total: int, hidden: bool) -> dict[str, Any]:
    return {
        "n": None if hidden else cases_total,
        "status": STATUS_SUPPRESSED if hidden else _status(cases_total, cases_total),
        "pct": None,
    }


def _rows_out(
    key_columns: dict[str, list[Any]],
    counts: np.ndarray,
    hidden: np.ndarray,
    bases: np.ndarray,
) -> list[dict[str, Any]]:
    """Output rows from flat arrays: one pass per column, then zipped (no
    per-cell lookups). ``bases`` is each cell's percentage base (0: none)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        shares = np.round(100 * counts / bases, 1)
    shown = ~hidden & (bases > 0)
    pcts = np.where(shown, shares, np.nan).tolist()
    statuses = _statuses(counts, hidden).tolist()
    names = list(key_columns)
    return [
        {
            **dict(zip(names, values, strict=True)),
            "n": None if h else n,
            "status": st,
            "pct": None if pct != pct else pct,  # NaN: not shown
        }
        for *values, h, n, st, pct in zip(
            *key_columns.values(),
            hidden.tolist(),
            counts.tolist(),
            statuses,
            pcts,
            strict=True,
        )
    ]


def protected_tables(
    tables: Mapping[str, pd.DataFrame],
    threshold: int,
    *,
    unit: str = "cases",
    additive: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Tables of distinct counts of ``unit`` (keys then ``n``: an entity's key
    first when the table is per entity; ``…_<unit>``: each entity's total;
    ``<unit>_total``)
    after disclosure control, in the API's shape: per table its ``keys``, the
    percentage's ``base``, and ``rows`` of keys, ``n`` (None when hidden),
    ``status`` (``value``, ``suppressed`` or ``zero``) and ``pct`` (the share of
    the cases of the row's entity, or of all cases; None when either is hidden).

    A table whose categories split the units (its name ends with one of
    ``additive``) is protected with
    its total: a hidden cell always has a hidden companion, their sum at least
    the threshold. The others (SOC, HLT, criteria: a case in several or none)
    sum to nothing published and get primary suppression. Consistent across
    tables: an entity's total is hidden in its totals table whenever a split
    had to hide it, the global total with the global splits' totals. Each
    entity's row is protected on its own, so entities with the same counts (a
    speciality with one substance and that substance) hide the same cells."""
    entity_keys = _entity_keys(tables, unit)
    totals_suffix, total_name = f"_{unit}", f"{unit}_total"
    grids: dict[str, tuple[list[str], _Grid]] = {}
    hidden_totals: dict[str, set[Any]] = {"": set()}
    for name, frame in tables.items():
        keys = _keys(frame)
        if not keys or name.endswith(totals_suffix) or not name.endswith(additive):
            continue
        entity = keys[0] if keys[0] in entity_keys else ""
        grid = _grid(_matrix(frame, keys), threshold, entity=bool(entity))
        grids[name] = (keys, grid)
        if grid.total_hidden.any():
            hidden = hidden_totals.setdefault(entity, set())
            if entity:
                hidden.update(grid.rows[k] for k in np.flatnonzero(grid.total_hidden))
            else:
                hidden.add(TOTAL)
    total = tables.get(total_name)
    cases_total = int(total[COUNT_COLUMN].iloc[0]) if total is not None else 0
    total_hidden = 0 < cases_total < threshold or TOTAL in hidden_totals[""]
    out: dict[str, Any] = {
        total_name: {
            "keys": [],
            "base": "",
            "rows": [_total_row(cases_total, total_hidden)],
        }
    }
    entity_totals: dict[str, dict[Any, int]] = {}
    for name, frame in tables.items():
        if not name.endswith(totals_suffix):
            continue
        entity = _keys(frame)[0]
        keys_of = frame[entity].tolist()
        counts = frame[COUNT_COLUMN].to_numpy(dtype=np.int64)
        hidden_keys = hidden_totals.get(entity, set())
        hidden = ((counts > 0) & (counts < threshold)) | np.array(
            [key in hidden_keys for key in keys_of], dtype=bool
        )
        entity_totals[entity] = {
            key: int(n)
            for key, n, h in zip(keys_of, counts, hidden, strict=True)
            if not h
        }
        out[name] = {
            "keys": [entity],
            "base": "",
            "rows": _rows_out({entity: keys_of}, counts, hidden, np.zeros(len(counts))),
        }
    global_base = 0 if total_hidden else cases_total
    for name, frame in tables.items():
        keys = _keys(frame)
        if not keys or name.endswith(totals_suffix):
            continue
        entity = keys[0] if keys[0] in entity_keys else ""
        if name in grids:
            grid = grids[name][1]
            # An entity's split lists its categories met; a global one all.
            where = (
                np.argwhere(grid.counts != 0)
                if entity
                else np.argwhere(np.ones_like(grid.hidden))
            )
            ii, jj = where[:, 0], where[:, 1]
            row_keys = [grid.rows[i] for i in ii.tolist()]
            key_columns = (
                {entity: row_keys, keys[1]: [grid.columns[j] for j in jj.tolist()]}
                if entity
                else {keys[0]: row_keys}
            )
            counts, hide = grid.counts[ii, jj], grid.hidden[ii, jj]
        else:
            ordered = frame.sort_values(keys, kind="stable")
            key_columns = {key: ordered[key].tolist() for key in keys}
            counts = ordered[COUNT_COLUMN].to_numpy(dtype=np.int64)
            hide = (counts > 0) & (counts < threshold)
            row_keys = key_columns[keys[0]]
        if entity:
            totals = entity_totals.get(entity, {})
            bases = np.array([totals.get(key, 0) for key in row_keys], float)
        else:
            bases = np.full(len(counts), global_base, float)
        out[name] = {
            "keys": keys,
            "base": "cases",
            "rows": _rows_out(key_columns, counts, hide, bases),
        }
    return out


#: Columns of a release's tables as one file: one line per cell.
DIMENSION_SEPARATOR = " › "
TABLE_COLUMNS = [
    "table",
    "entity_key",
    "entity",
    "dimension",
    "value",
    "n",
    "status",
    "pct",
]


def tables_frame(version: Any) -> pd.DataFrame:
    """Every table of ``release_tables`` as one frame, one line per cell: the
    table's name, its entity (``substance_code`` or ``cis`` and its value, empty
    for the global tables), its dimension and category (several keys joined
    with " › ": ``soc › hlt``), the count (empty when hidden), the cell's
    status and its percentage."""
    tables = release_tables(version)
    unit = get_family(version.family).table_unit
    entity_keys = {
        table["keys"][0]
        for name, table in tables.items()
        if name.endswith(f"_{unit}") and table["keys"]
    }
    lines = []
    for name, table in tables.items():
        keys = table["keys"]
        entity_key = keys[0] if keys and keys[0] in entity_keys else ""
        dimensions = [key for key in keys if key != entity_key]
        dimension = DIMENSION_SEPARATOR.join(dimensions)
        for row in table["rows"]:
            lines.append(
                {
                    "table": name,
                    "entity_key": entity_key,
                    "entity": str(row.get(entity_key, "")) if entity_key else "",
                    "dimension": dimension,
                    "value": DIMENSION_SEPARATOR.join(
                        str(row.get(key, "")) for key in dimensions
                    ),
                    "n": row["n"],
                    "status": row["status"],
                    "pct": row["pct"],
                }
            )
    frame = pd.DataFrame(lines, columns=TABLE_COLUMNS)
    frame["n"] = frame["n"].astype("Int64")
    return frame


def suppression_summary(version: Any) -> dict[str, Any]:
    """What a release's method note states of its disclosure control: cells in
    all, hidden, and their share."""
    statuses = tables_frame(version)["status"]
    cells = len(statuses)
    hidden = int(statuses.eq(STATUS_SUPPRESSED).sum())
    return {
        "cells": cells,
        "suppressed": hidden,
        "suppressed_share": round(hidden / cells, 4) if cells else 0.0,
    }
