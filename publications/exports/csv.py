"""The release as CSV (UTF-8, comma), formulas neutralised."""

from __future__ import annotations

from publications.exports.base import ReleaseData, neutralised


class CsvAdapter:
    format = "csv"

    def filename(self, data: ReleaseData) -> str:
        return f"{data.name}.csv"

    def render(self, data: ReleaseData) -> bytes:
        text = neutralised(data.frame).to_csv(index=False, lineterminator="\n")
        return text.encode("utf-8")
