"""The release as an XLSX workbook (one sheet "donnees"), formulas neutralised."""

from __future__ import annotations

import io

from publications.exports.base import ReleaseData, neutralised


class XlsxAdapter:
    format = "xlsx"

    def filename(self, data: ReleaseData) -> str:
        return f"{data.name}.xlsx"

    def render(self, data: ReleaseData) -> bytes:
        buffer = io.BytesIO()
        neutralised(data.frame).to_excel(buffer, index=False, sheet_name="donnees")
        return buffer.getvalue()
