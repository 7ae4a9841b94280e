"""Workbook of a version's quality report, for the producer to fix the source."""

from __future__ import annotations

import io
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook

from datasets.families import get_family
from datasets.models import DatasetVersion, Issue, ProblemRow
from datasets.pipeline.export import neutralise
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
                field_name,
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
