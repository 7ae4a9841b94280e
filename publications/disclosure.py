"""Disclosure control of published count tables (pure: no Django).

A count from 1 to ``threshold - 1`` is never published: it is shown as
"< threshold" (primary suppression). Because a table is published with its
totals, a single hidden cell in a row or a column could be recomputed by
subtraction; so, in every line of the table (each row with its row total, each
column with its column total, the row totals with the grand total, the column
totals with the grand total), the hidden cells are either none, or at least two
whose sum is at least the threshold (complementary suppression: the smallest
published non-zero cells are hidden too; when a line has no cell left to hide,
its total is hidden, and that total's own line is protected in turn).

Zero is published: the policy of DOMAIN.md §6.3 ("a cell is publishable if its
count is 0 or >= 11"). Percentages are only computed from published counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

TOTAL = "Total"


@dataclass(frozen=True)
class Cell:
    """One cell of a protected table: ``row`` and ``column`` keys (``TOTAL`` for
    margins), its true count, and whether and why it is hidden."""

    row: Any
    column: Any
    count: int
    hidden: bool = False
    reason: str = ""  # "primary", "complementary" or ""


@dataclass
class ProtectedTable:
    """A two-way table of counts with its margins, after disclosure control."""

    rows: list[Any]
    columns: list[Any]
    threshold: int
    cells: dict[tuple[Any, Any], Cell] = field(default_factory=dict)

    def value(self, row: Any, column: Any) -> int | None:
        """The published count, or None when it is hidden."""
        cell = self.cells[(row, column)]
        return None if cell.hidden else cell.count

    def shown(self, row: Any, column: Any) -> str:
        """The text a reader sees: the count, or "< threshold"."""
        count = self.value(row, column)
        return f"< {self.threshold}" if count is None else str(count)

    def share(self, row: Any, column: Any) -> float | None:
        """The cell's share of its row total, only from published counts."""
        count, total = self.value(row, column), self.value(row, TOTAL)
        if count is None or not total:
            return None
        return count / total

    @property
    def hidden(self) -> list[Cell]:
        """Every hidden cell (the list recorded in a release's metadata)."""
        return [cell for cell in self.cells.values() if cell.hidden]

    def lines(
        self,
    ) -> list[tuple[list[tuple[Any, Any]], tuple[Any, Any]]]:
        """Each published line: its cells and the total they add up to."""
        result: list[tuple[list[tuple[Any, Any]], tuple[Any, Any]]] = []
        for row in [*self.rows, TOTAL]:
            result.append(([(row, c) for c in self.columns], (row, TOTAL)))
        for column in [*self.columns, TOTAL]:
            result.append(([(r, column) for r in self.rows], (TOTAL, column)))
        return result

    def as_frame(self) -> pd.DataFrame:
        """Rows × columns (with totals) of published values; hidden cells are NA."""
        data = {
            column: [self.value(row, column) for row in [*self.rows, TOTAL]]
            for column in [*self.columns, TOTAL]
        }
        return pd.DataFrame(data, index=[*self.rows, TOTAL], dtype="Int64")


def _needs_more(table: ProtectedTable, members: Sequence[tuple[Any, Any]]) -> bool:
    """Whether a line's hidden cells could be told apart: a single one, a sum
    below the threshold, or a sum equal to their number (each is then 1)."""
    hidden = [table.cells[key] for key in members if table.cells[key].hidden]
    if not hidden:
        return False
    total = sum(cell.count for cell in hidden)
    return len(hidden) < 2 or total < table.threshold or total <= len(hidden)


def _hide(table: ProtectedTable, key: tuple[Any, Any], reason: str) -> None:
    cell = table.cells[key]
    table.cells[key] = Cell(cell.row, cell.column, cell.count, True, reason)


def _hide_one_more(
    table: ProtectedTable,
    members: Sequence[tuple[Any, Any]],
    total: tuple[Any, Any],
) -> bool:
    """Hide the smallest published non-zero cell of the line, else its total.
    Returns False when the line has nothing left to hide."""
    candidates = sorted(
        (
            table.cells[key]
            for key in members
            if not table.cells[key].hidden and table.cells[key].count > 0
        ),
        key=lambda cell: cell.count,
    )
    if candidates:
        _hide(table, (candidates[0].row, candidates[0].column), "complementary")
        return True
    if not table.cells[total].hidden:
        _hide(table, total, "complementary")
        return True
    return False


def protect(
    counts: pd.DataFrame | dict[tuple[Any, Any], int],
    *,
    threshold: int = 11,
    rows: Iterable[Any] | None = None,
    columns: Iterable[Any] | None = None,
) -> ProtectedTable:
    """Protect a two-way table of counts and its margins.

    ``counts`` is a DataFrame (index = rows, columns = columns, integer counts) or
    a mapping (row, column) → count. A one-way table is a DataFrame of one column.
    Returns the table with every cell marked published or hidden; guarantees that
    no published count lies between 1 and threshold − 1, and that no hidden cell
    is determined by the published cells and totals (checked by solving the
    table's sums as a linear system, see ``determined_cells``).
    """
    if isinstance(counts, pd.DataFrame):
        row_keys = list(counts.index) if rows is None else list(rows)
        column_keys = list(counts.columns) if columns is None else list(columns)
        values = {
            (r, c): int(counts.at[r, c])  # type: ignore[arg-type]
            for r in row_keys
            for c in column_keys
        }
    else:
        row_keys = list(rows) if rows is not None else sorted({r for r, _ in counts})
        column_keys = (
            list(columns) if columns is not None else sorted({c for _, c in counts})
        )
        values = {
            (r, c): int(counts.get((r, c), 0)) for r in row_keys for c in column_keys
        }
    if any(v < 0 for v in values.values()):
        raise ValueError("Counts cannot be negative.")
    table = ProtectedTable(rows=row_keys, columns=column_keys, threshold=threshold)
    for (r, c), v in values.items():
        table.cells[(r, c)] = Cell(r, c, v)
    for r in row_keys:
        table.cells[(r, TOTAL)] = Cell(
            r, TOTAL, sum(values[(r, c)] for c in column_keys)
        )
    for c in column_keys:
        table.cells[(TOTAL, c)] = Cell(TOTAL, c, sum(values[(r, c)] for r in row_keys))
    table.cells[(TOTAL, TOTAL)] = Cell(TOTAL, TOTAL, sum(values.values()))

    for key, cell in list(table.cells.items()):
        if 0 < cell.count < threshold:
            _hide(table, key, "primary")

    lines = table.lines()
    while True:
        changed = False
        for members, total in lines:
            while not table.cells[total].hidden and _needs_more(table, members):
                _hide_one_more(table, members, total)
                changed = True
        determined = determined_cells(table)
        if determined:
            changed = _widen(table, determined[0])
            if not changed:
                return table  # nothing left to hide: only zeros are published
        if not changed:
            return table


def _widen(table: ProtectedTable, key: tuple[Any, Any]) -> bool:
    """Hide one more cell around a hidden cell that the others determine: in its
    row, else its column, else the smallest published count of the table."""
    row, column = key
    lines: list[tuple[list[tuple[Any, Any]], tuple[Any, Any]]] = []
    if row != TOTAL:
        lines.append(([(row, c) for c in table.columns], (row, TOTAL)))
    if column != TOTAL:
        lines.append(([(r, column) for r in table.rows], (TOTAL, column)))
    lines.append(([k for k in table.cells if k != (TOTAL, TOTAL)], (TOTAL, TOTAL)))
    return any(_hide_one_more(table, members, total) for members, total in lines)


def determined_cells(table: ProtectedTable) -> list[tuple[Any, Any]]:
    """Hidden cells whose value the published numbers fix: every line says that
    its cells add up to its total; with the published values known, a hidden cell
    is determined when the system of these equations leaves it no freedom (it is
    orthogonal to the system's null space). Also counts, line by line, hidden
    cells that must all be 1 (their sum equals their number; zeros are always
    published, so a hidden cell is at least 1). This is the attacker of the tests;
    ``protect`` leaves it nothing."""
    hidden = [key for key, cell in table.cells.items() if cell.hidden]
    if not hidden:
        return []
    index = {key: i for i, key in enumerate(hidden)}
    equations = []
    found: list[tuple[Any, Any]] = []
    for members, total in table.lines():
        coefficients = np.zeros(len(hidden))
        known = 0
        for key in members:
            if key in index:
                coefficients[index[key]] += 1
            else:
                known += table.cells[key].count
        if total in index:
            coefficients[index[total]] -= 1
        elif coefficients.any():
            unknown = [k for k in members if k in index]
            if table.cells[total].count - known == len(unknown):
                found.extend(unknown)
        if coefficients.any():
            equations.append(coefficients)
    if equations:
        matrix = np.vstack(equations)
        _u, singular, vt = np.linalg.svd(matrix)
        rank = int((singular > 1e-9).sum())
        null_space = vt[rank:]
        freedom = (
            np.abs(null_space).max(axis=0) if len(null_space) else np.zeros(len(hidden))
        )
        found.extend(key for key, f in zip(hidden, freedom, strict=True) if f < 1e-9)
    return list(dict.fromkeys(found))


def protect_line(counts: np.ndarray, threshold: int = 11) -> tuple[np.ndarray, bool]:
    """Protect one line of counts published with its total (an entity's
    categories): which cells are hidden, and whether the total must be too.

    The counts from 1 to ``threshold - 1`` are hidden; then, while fewer than
    two cells are hidden or their sum is below the threshold, the smallest
    published non-zero cell is hidden too; when none is left, the total is
    hidden instead. The same rule as ``protect`` on a one-column table, without
    its linear-system check (one line cannot be solved for two unknowns)."""
    values = np.asarray(counts, dtype=np.int64)
    hidden = (values > 0) & (values < threshold)
    if not hidden.any():
        return hidden, False
    while hidden.sum() < 2 or values[hidden].sum() < threshold:
        candidates = np.flatnonzero(~hidden & (values > 0))
        if not len(candidates):
            return hidden, True
        hidden[candidates[np.argmin(values[candidates])]] = True
    return hidden, False
