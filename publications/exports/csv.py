"""The release as CSV (UTF-8, comma), its values exactly as published: the data
package states the rule for text a spreadsheet would run as a formula
(``FORMULA_NOTE``); the XLSX file holds such text as text cells."""

from __future__ import annotations

from publications.exports.base import ReleaseData


class CsvAdapter:
    format = "csv"

    def filename(self, data: ReleaseData) -> str:
        return f"{data.name}.csv"

    def render(self, data: ReleaseData) -> bytes:
        text = data.frame.to_csv(index=False, lineterminator="\n")
        return text.encode("utf-8")
