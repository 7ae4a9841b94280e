"""The release as an XLSX workbook: sheet "donnees" (then "donnees_2", … past a
sheet's row limit), written row by row in openpyxl's write-only mode, so memory
does not grow with the release. Values are the published ones: text that a
spreadsheet would run as a formula is written as a text cell, unchanged."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from backoffice.cells import is_formula_like
from publications.exports.base import ReleaseData

#: Data rows per sheet: a sheet holds 1,048,576 rows, the first is the header.
SHEET_ROWS = 1_048_575
SHEET_NAME = "donnees"


def _rows(frame: pd.DataFrame) -> Iterator[tuple[Any, ...]]:
    """The frame's rows as Python values, missing values as None."""
    columns = [
        frame[name].astype(object).where(frame[name].notna(), None).tolist()
        for name in frame.columns
    ]
    return zip(*columns, strict=True) if columns else iter(())


def _cells(sheet: WriteOnlyWorksheet, row: tuple[Any, ...]) -> list[Any]:
    cells: list[Any] = []
    for value in row:
        if is_formula_like(value):
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"  # text, never a live formula
            cells.append(cell)
        else:
            cells.append(value)
    return cells


class XlsxAdapter:
    format = "xlsx"

    def filename(self, data: ReleaseData) -> str:
        return f"{data.name}.xlsx"

    def render(self, data: ReleaseData) -> bytes:
        workbook = Workbook(write_only=True)
        header = [str(name) for name in data.frame.columns]
        sheet: WriteOnlyWorksheet | None = None
        count = 0
        for row in _rows(data.frame):
            if sheet is None or count == SHEET_ROWS:
                number = len(workbook.worksheets) + 1
                title = SHEET_NAME if number == 1 else f"{SHEET_NAME}_{number}"
                sheet = workbook.create_sheet(title)
                sheet.append(_cells(sheet, tuple(header)))
                count = 0
            sheet.append(_cells(sheet, row))
            count += 1
        if sheet is None:  # no rows: the header alone
            sheet = workbook.create_sheet(SHEET_NAME)
            sheet.append(_cells(sheet, tuple(header)))
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()
