"""Downloads of a version: the quality report workbook (for the producer to fix
the source) and the cleaned records as CSV (for the reviewers)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook

from datasets.families import get_family
from datasets.models import DatasetVersion, Issue, ProblemRow
from datasets.pipeline.export import neutralise
from datasets.records import field_labels, record_model
from datasets.selectors import quality_report

EXPORT_LIMIT = 1_000_000


def quality_report_xlsx(version: DatasetVersion) -> bytes:
    """Summary, issues (one line each, with the row's raw values) and
    completeness; every text cell neutralised against formulas."""
    report = quality_report(version)
    schema = get_family(version.family)
    book = Workbook(write_only=True)
    summary = book.create_sheet(_("Summary"))
    summary.append([_("Family"), str(schema.label)])
    summary.append([_("Version"), version.number])
    summary.append([_("File"), neutralise(version.upload.original_name)])
    summary.append([_("SHA-256"), version.upload.sha256])
    summary.append([_("Mapping profile"), neutralise(str(version.mapping))])
    summary.append([_("Rows read"), version.rows_read])
    summary.append([_("Rows loaded"), version.rows_loaded])
    summary.append([_("Rows rejected"), version.rows_rejected])
    summary.append([])
    summary.append([_("Rule"), _("Label"), _("Severity"), _("Count")])
    for rule in report.rules:
        severity = Issue.Severity(rule.severity).label
        summary.append([rule.code, rule.label, str(severity), rule.count])
    summary.append([])
    summary.append([_("Matching"), _("Rows"), "%"])
    for _key, label, count, percent in report.matches:
        summary.append([label, count, round(percent, 1)])

    raw = {
        row.row_number: row.raw
        for row in ProblemRow.objects.filter(version=version).only("row_number", "raw")
    }
    columns: list[str] = list(next(iter(raw.values()))) if raw else []
    issues = book.create_sheet(_("Issues"))
    # The header stays in view and filters: the producer sorts the rows by rule.
    issues.freeze_panes = "A2"
    labels = field_labels(schema)
    issues.append(
        [_("Row"), _("Field"), _("Value"), _("Rule"), _("Severity"), _("Message")]
        + [neutralise(c) for c in columns]
    )
    severity_labels = {s.value: str(s.label) for s in Issue.Severity}
    rows: Any = (
        Issue.objects.filter(version=version)
        .order_by("row_number", "pk")
        .values_list("row_number", "field", "value", "code", "severity", "message")
    )
    for row_number, field_name, value, code, severity, message in rows[:EXPORT_LIMIT]:
        values = raw.get(row_number, {})
        issues.append(
            [
                row_number,
                ", ".join(labels.get(f, f) for f in field_name.split(",")),
                neutralise(value),
                code,
                severity_labels.get(severity, severity),
                message,
                *[neutralise(values.get(c, "")) for c in columns],
            ]
        )

    filled = book.create_sheet(_("Completeness"))
    filled.append([_("Field"), _("Required"), _("Filled"), "%"])
    for item in report.completeness:
        filled.append(
            [
                item.label,
                _("yes") if item.required else _("no"),
                item.filled,
                round(item.percent, 1),
            ]
        )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def records_csv_lines(version: Any, chunk_size: int = 5000) -> Iterator[str]:
    """The version's cleaned records as CSV lines (``;``-separated, for the
    spreadsheets of French agents), streamed from the database a chunk at a time.
    Columns: the family's fields (French labels) then the matching; every text
    that a spreadsheet would run as a formula is neutralised."""
    import csv

    schema = get_family(version.family)
    names = [*schema.field_names, "matched_cis", "match_method", "row_number"]
    header = [
        *(str(spec.label) for spec in schema.fields),
        str(_("Matched CIS")),
        str(_("Matching method")),
        str(_("Row in the file")),
    ]
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(header)
    yield "\ufeff" + flush()
    rows = (
        record_model(schema)
        ._default_manager.filter(version=version)
        .order_by("row_number")
        .values_list(*names)
    )
    for count, row in enumerate(rows.iterator(chunk_size=chunk_size), start=1):
        writer.writerow(["" if v is None else neutralise(v) for v in row])
        if count % chunk_size == 0:
            yield flush()
    yield flush()
