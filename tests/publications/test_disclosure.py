"""Disclosure control: no published count between 1 and 10, and no hidden cell
that the published cells and totals determine (property-based, over random
tables, with a linear-algebra attacker)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from publications.disclosure import TOTAL, determined_cells, protect

# Small counts are frequent in real breakdowns: draw them often.
COUNT = st.one_of(st.integers(0, 12), st.integers(0, 40), st.integers(100, 5000))


@st.composite
def tables(draw: st.DrawFn) -> pd.DataFrame:
    rows = draw(st.integers(1, 6))
    columns = draw(st.integers(1, 5))
    values = [[draw(COUNT) for _c in range(columns)] for _r in range(rows)]
    return pd.DataFrame(
        values,
        index=[f"r{i}" for i in range(rows)],
        columns=[f"c{j}" for j in range(columns)],
    )


@settings(max_examples=400, deadline=None)
@given(tables(), st.sampled_from([5, 11]))
def test_no_small_count_is_published_and_no_hidden_cell_is_derivable(
    frame: pd.DataFrame, threshold: int
) -> None:
    table = protect(frame, threshold=threshold)
    for cell in table.cells.values():
        if not cell.hidden:
            assert cell.count == 0 or cell.count >= threshold
        else:
            assert cell.count > 0  # zeros are published
    assert determined_cells(table) == []
    # Every line with a published total: its hidden cells cannot be told apart
    # by subtraction (none, or several whose sum is no small count).
    for members, total in table.lines():
        if table.cells[total].hidden:
            continue
        hidden = [table.cells[key].count for key in members if table.cells[key].hidden]
        assert len(hidden) != 1
        if hidden:
            assert sum(hidden) >= threshold and sum(hidden) > len(hidden)
    # Published values add up where nothing is hidden.
    for members, total in table.lines():
        values = [table.value(*key) for key in members]
        if None not in values and table.value(*total) is not None:
            assert sum(values) == table.value(*total)


@settings(max_examples=200, deadline=None)
@given(tables())
def test_shares_come_only_from_published_counts(frame: pd.DataFrame) -> None:
    table = protect(frame)
    for row in table.rows:
        for column in table.columns:
            share = table.share(row, column)
            if share is not None:
                assert table.value(row, column) is not None
                assert table.value(row, TOTAL) is not None


def test_a_two_category_split_hides_both_sides() -> None:
    """Sex with its total: hiding only the 3 women would let them be recomputed
    from the total and the men."""
    table = protect(pd.DataFrame({"cas": [3, 250]}, index=["F", "M"]).T)
    assert table.shown("cas", "F") == "< 11"
    assert table.value("cas", "M") is None  # complementary
    assert table.value("cas", TOTAL) == 253
    reasons = {(c.row, c.column): c.reason for c in table.hidden}
    # With one row, the column totals repeat the cells: hidden alike.
    assert reasons == {
        ("cas", "F"): "primary",
        ("cas", "M"): "complementary",
        (TOTAL, "F"): "primary",
        (TOTAL, "M"): "complementary",
    }


def test_a_known_attack_by_subtraction_is_closed() -> None:
    frame = pd.DataFrame(
        [[4, 20, 30], [15, 25, 35]], index=["2023", "2024"], columns=["a", "b", "c"]
    )
    table = protect(frame)
    assert table.value("2023", "a") is None
    # Row 2023 and column a each hide a second cell.
    assert sum(table.value("2023", c) is None for c in ("a", "b", "c")) >= 2
    assert sum(table.value(r, "a") is None for r in ("2023", "2024")) >= 2
    assert determined_cells(table) == []


def test_nothing_small_means_nothing_hidden() -> None:
    table = protect(pd.DataFrame([[0, 12], [40, 11]]))
    assert table.hidden == []
    assert table.as_frame().loc[TOTAL, TOTAL] == 63


def test_negative_counts_are_refused() -> None:
    with pytest.raises(ValueError):
        protect(pd.DataFrame([[-1]]))


def test_the_attacker_recovers_what_primary_suppression_alone_leaves() -> None:
    """The tests' attacker is real: on a table with only primary suppression (the
    earlier site's rule), it recomputes the hidden cells."""
    from publications.disclosure import Cell, ProtectedTable

    frame = pd.DataFrame([[4, 20], [30, 40]], index=["x", "y"], columns=["a", "b"])
    table = ProtectedTable(rows=["x", "y"], columns=["a", "b"], threshold=11)
    for r in table.rows:
        for c in table.columns:
            count = int(frame.at[r, c])
            table.cells[(r, c)] = Cell(r, c, count, 0 < count < 11, "primary")
        table.cells[(r, TOTAL)] = Cell(r, TOTAL, int(frame.loc[r].sum()))
    for c in table.columns:
        table.cells[(TOTAL, c)] = Cell(TOTAL, c, int(frame[c].sum()))
    table.cells[(TOTAL, TOTAL)] = Cell(TOTAL, TOTAL, int(frame.values.sum()))
    assert determined_cells(table) == [("x", "a")]
    # Two hidden cells of a 2×2 block are still determined through the margins.
    table.cells[("x", "b")] = Cell("x", "b", 20, True, "complementary")
    assert set(determined_cells(table)) == {("x", "a"), ("x", "b")}


def test_one_line_hides_a_companion_or_its_total() -> None:
    from publications.disclosure import protect_line

    hidden, total = protect_line(np.array([3, 40, 12, 0]), 11)
    # 3 alone would be the total minus the others: 12, the smallest, goes too.
    assert hidden.tolist() == [True, False, True, False] and not total
    hidden, total = protect_line(np.array([3, 4, 50]), 11)
    # 3 + 4 < 11: the pair would be bounded too tightly, so 50 goes as well.
    assert hidden.tolist() == [True, True, True] and not total
    hidden, total = protect_line(np.array([5, 0]), 11)
    # Nothing left to hide beside it: the total is hidden instead.
    assert hidden.tolist() == [True, False] and total
    hidden, total = protect_line(np.array([0, 11, 30]), 11)
    assert not hidden.any() and not total
