"""Multi-table extracts: each file or sheet recognised as its part, missing and
unknown parts named, rows linking to no case counted."""

from __future__ import annotations

import pandas as pd

from datasets.pipeline.parts import MultiTableSpec, PartSpec, assign_parts, link_parts

SPEC = MultiTableSpec(
    root="cases",
    keys=("AER_ID", "CAS", "VER"),
    parts=(
        PartSpec("cases", "Cas-Patients", ("cas patients",)),
        PartSpec("effects", "Effets", ("effets",)),
        PartSpec("drugs", "Médicaments", ("medicaments",)),
        PartSpec("notifiers", "Notificateur", ("notificateur",), required=False),
    ),
)


def test_the_2023_files_and_the_2020_sheets_are_recognised() -> None:
    files = assign_parts(
        [
            "20230216 - Cas-Patients.csv",
            "20230216 - Effets.csv",
            "20230216 - Médicaments.csv",
        ],
        SPEC,
    )
    assert files.parts == {
        "cases": "20230216 - Cas-Patients.csv",
        "effects": "20230216 - Effets.csv",
        "drugs": "20230216 - Médicaments.csv",
    }
    assert files.missing == files.unknown == files.ambiguous == ()
    sheets = assign_parts(
        ["Cas - Patients", "Effets", "MEDICAMENTS", "Notificateur"], SPEC
    )
    assert set(sheets.parts) == {"cases", "effects", "drugs", "notifiers"}


def test_a_missing_part_an_unknown_file_and_a_doubled_part_are_named() -> None:
    result = assign_parts(
        ["Cas-Patients.csv", "Effets 1.csv", "Effets 2.csv", "lisez-moi.txt"], SPEC
    )
    assert result.missing == ("effects", "drugs")
    assert result.unknown == ("lisez-moi.txt",)
    assert result.ambiguous == ("Effets 1.csv", "Effets 2.csv")


def test_rows_whose_case_key_matches_no_case_are_counted_and_left_out() -> None:
    cases = pd.DataFrame(
        {"AER_ID": ["A", "B", "C"], "CAS": ["1", "1", "1"], "VER": ["1", "2", "1"]}
    )
    effects = pd.DataFrame(
        {
            "AER_ID": ["A", "A", "B", "Z"],
            "CAS": ["1", "1 ", "1", "1"],  # a trailing space still links
            "VER": ["1", "1", "1", "1"],  # B's version 1 is not a case version
            "EFFET_SOC": ["x", "y", "z", "w"],
        }
    )
    linked, report = link_parts({"cases": cases, "effects": effects}, SPEC)
    assert linked["effects"]["EFFET_SOC"].tolist() == ["x", "y"]
    assert report.rows == {"cases": 3, "effects": 4}
    assert report.kept == {"cases": 3, "effects": 2}
    assert report.orphans == {"effects": 2}
    assert report.root_without == {"effects": 2}  # B v2 and C have no effect
