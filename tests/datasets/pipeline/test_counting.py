"""Distinct units, not rows; and counting through a link, hand-computed."""

from __future__ import annotations

import pandas as pd

from datasets.pipeline.counting import count_distinct, through

UNIT = ["AER_ID", "CAS"]


def test_a_case_counts_once_per_group_however_many_rows_it_has() -> None:
    rows = pd.DataFrame(
        {
            "AER_ID": ["A", "A", "B", "C", "D"],
            "CAS": ["1", "1", "1", "1", "1"],
            "sex": ["F", "F", "F", "M", None],
        }
    )
    table = count_distinct(rows, UNIT, ["sex"])
    assert table.to_dict("records")[:2] == [{"sex": "F", "n": 2}, {"sex": "M", "n": 1}]
    assert pd.isna(table.iloc[2]["sex"]) and table.iloc[2]["n"] == 1


def test_counting_through_the_link_to_substances() -> None:
    cases = pd.DataFrame(
        {"AER_ID": ["A", "B", "C"], "CAS": ["1", "1", "1"], "sex": ["F", "M", "F"]}
    )
    # A took two drugs of paracetamol (counts once) and one of ibuprofen; C none.
    drugs = pd.DataFrame(
        {
            "AER_ID": ["A", "A", "A", "B"],
            "CAS": ["1", "1", "1", "1"],
            "substance_code": ["02202", "02202", "03317", "02202"],
        }
    )
    linked = through(cases, drugs, UNIT, "substance_code")
    table = count_distinct(linked, UNIT, ["substance_code", "sex"])
    assert table.to_dict("records") == [
        {"substance_code": "02202", "sex": "F", "n": 1},
        {"substance_code": "02202", "sex": "M", "n": 1},
        {"substance_code": "03317", "sex": "F", "n": 1},
    ]
    totals = count_distinct(linked, UNIT, ["substance_code"])
    assert dict(zip(totals["substance_code"], totals["n"], strict=True)) == {
        "02202": 2,
        "03317": 1,
    }
