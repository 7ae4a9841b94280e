"""Import and export of small referential tables (aliases, ATC corrections) as
XLSX or CSV, through django-import-export. All or nothing: a file with an error
imports nothing and reports every faulty row."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

import tablib
from django.utils.translation import gettext as _
from import_export.resources import ModelResource
from openpyxl import Workbook

from backoffice.cells import is_formula_like, neutralise
from backoffice.exceptions import ApplicationError
from referential_admin.bdpm import detect_encoding

FORMATS = {"xlsx": "xlsx", "csv": "csv"}


@dataclass
class TransferReport:
    totals: dict[str, int]
    errors: list[tuple[int, str]] = field(default_factory=list)
    imported: bool = False


def table_export(resource: ModelResource, queryset: Any, file_format: str) -> bytes:
    """The queryset as XLSX or CSV (UTF-8 with BOM, for spreadsheet software)."""
    if file_format not in FORMATS:
        raise ApplicationError(
            _("Unknown format: %(format)s") % {"format": file_format}
        )
    dataset = resource.export(queryset)
    if file_format == "csv":
        # CSV has no cell types: formula-like text gets a leading apostrophe.
        safe = tablib.Dataset(headers=dataset.headers)
        for row in dataset:
            safe.append([neutralise(value) for value in row])
        return ("\ufeff" + safe.export("csv")).encode("utf-8")
    return _xlsx(dataset)


def _xlsx(dataset: tablib.Dataset) -> bytes:
    """One sheet; formula-like text is written as a string cell, value unchanged
    (tablib would let openpyxl store it as a live formula)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(dataset.headers or []))
    for row in dataset:
        sheet.append(list(row))
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            if is_formula_like(cell.value):
                cell.data_type = "s"
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def table_import(
    resource: ModelResource, *, content: bytes, file_name: str, user: Any
) -> TransferReport:
    """Check the whole file, then import it only if no row has an error."""
    lowered = file_name.lower()
    try:
        if lowered.endswith(".xlsx"):
            dataset = tablib.Dataset().load(content, format="xlsx")
        elif lowered.endswith(".csv"):
            text = content.decode(detect_encoding(content)).lstrip("\ufeff")
            dataset = tablib.Dataset().load(text, format="csv")
        else:
            raise ApplicationError(_("Only .xlsx and .csv files can be imported."))
    except ApplicationError:
        raise
    except Exception as exc:
        raise ApplicationError(
            _("The file could not be read: %(error)s") % {"error": exc}
        ) from exc
    if not dataset.headers:
        raise ApplicationError(_("The file is empty."))
    dry = resource.import_data(dataset, dry_run=True, raise_errors=False, user=user)
    errors: list[tuple[int, str]] = []
    for number, row_errors in dry.row_errors():
        for error in row_errors:
            errors.append((number, str(error.error)))
    for invalid in dry.invalid_rows:
        errors.append(
            (invalid.number, "; ".join(invalid.error_dict.get("__all__", [])))
        )
    totals = {key: int(value) for key, value in dry.totals.items()}
    if errors:
        return TransferReport(totals=totals, errors=errors)
    result = resource.import_data(dataset, dry_run=False, raise_errors=True, user=user)
    return TransferReport(
        totals={key: int(value) for key, value in result.totals.items()}, imported=True
    )
