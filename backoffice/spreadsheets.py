"""Wagtail's own spreadsheet exports (site history, page and workflow reports,
listings) keep user-supplied text from running as a formula.

Wagtail already writes such text as string cells in XLSX; its CSV rows go out
raw. ``protect_wagtail_csv`` makes every CSV row of every Wagtail export pass
through the rule of ``backoffice.cells``, once, at start-up.
"""

from __future__ import annotations

from typing import Any

from wagtail.admin.views.mixins import SpreadsheetExportMixin

from backoffice.cells import neutralise


def _safe_write_csv_row(self: Any, writer: Any, row_dict: dict[str, Any]) -> Any:
    values = {
        field: self.preprocess_field_value(field, value, self.FORMAT_CSV)
        for field, value in row_dict.items()
    }
    return writer.writerow({field: neutralise(v) for field, v in values.items()})


def protect_wagtail_csv() -> None:
    """Install the neutralising CSV row writer on Wagtail's export mixin."""
    SpreadsheetExportMixin.write_csv_row = _safe_write_csv_row
