"""The open data files of a release: CSV (UTF-8), XLSX and JSON of the published
data, its Table Schema, a data package with the metadata (licence, producer,
period, rules applied) and the SHA-256 of every file.

Row-level families publish their records; the others publish their aggregates
after disclosure control. Text that a spreadsheet would run as a formula is
neutralised in the CSV and XLSX files (JSON keeps the values as they are: it is
read by programs, not spreadsheets).
"""

from __future__ import annotations

import hashlib
import io
import json
from typing import TYPE_CHECKING, Any

import pandas as pd
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.text import slugify
from django.utils.translation import gettext as _

from datasets.families import get_family
from datasets.pipeline.export import FORMULA_PREFIXES
from datasets.pipeline.schema import FamilySchema
from datasets.records import record_model
from publications.aggregates import aggregate_tables
from publications.disclosure import TOTAL

if TYPE_CHECKING:
    from publications.models import Release

LICENCE = {
    "name": "etalab-2.0",
    "title": "Licence Ouverte / Open Licence version 2.0",
    "path": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
}
PRODUCER = "Agence nationale de sécurité du médicament et des produits de santé (ANSM)"

#: Table Schema type of each field type of the registry.
TABLE_TYPES = {
    "text": "string",
    "date": "date",
    "integer": "integer",
    "vocabulary": "string",
    "cis": "string",
    "cip13": "string",
    "atc": "string",
    "url": "string",
}
PATTERNS = {"cis": r"^\d{8}$", "cip13": r"^\d{13}$", "atc": r"^[A-Z][0-9A-Z]*$"}
#: Columns added to every record file.
MATCH_COLUMNS = ("matched_cis",)


def base_name(release: Release) -> str:
    """The files' common name: "<family>-publication-<n>"."""
    return f"{slugify(release.family)}-publication-{release.number}"


def table_schema(schema: FamilySchema) -> dict[str, Any]:
    """The Table Schema of a family's record file (French titles, vocabularies as
    enums, code patterns, required fields)."""
    fields = []
    for spec in schema.fields:
        field: dict[str, Any] = {
            "name": spec.name,
            "title": str(spec.label),
            "type": TABLE_TYPES[spec.type],
        }
        constraints: dict[str, Any] = {}
        if spec.type == "vocabulary":
            constraints["enum"] = list(spec.vocabulary)
            field["description"] = "; ".join(
                f"{code} = {label}" for code, label in spec.vocabulary.items()
            )
        if spec.type in PATTERNS:
            constraints["pattern"] = PATTERNS[spec.type]
        if constraints:
            field["constraints"] = constraints
        fields.append(field)
    fields.append(
        {
            "name": "matched_cis",
            "title": _("CIS code matched in the referential (BDPM)"),
            "type": "string",
            "constraints": {"pattern": PATTERNS["cis"]},
        }
    )
    return {"fields": fields, "missingValues": [""]}


def records_frame(release: Release) -> pd.DataFrame:
    """The records of the release's version, in file order (row of the source)."""
    schema = get_family(release.family)
    names = [*schema.field_names, *MATCH_COLUMNS]
    rows = (
        record_model(schema)
        ._default_manager.filter(version=release.version)
        .order_by("row_number")
        .values_list(*names)
    )
    frame = pd.DataFrame.from_records(list(rows), columns=names)
    for spec in schema.fields:
        if spec.type == "date":
            frame[spec.name] = pd.to_datetime(frame[spec.name]).dt.strftime("%Y-%m-%d")
    return frame


def _aggregates_frame(release: Release) -> pd.DataFrame:
    """The family's aggregates after disclosure control, one line per cell."""
    lines = []
    for item in aggregate_tables(release.version):
        table = item.table
        for row, column in table.cells:
            lines.append(
                {
                    "aggregate": item.aggregate.name,
                    "row": "" if row == TOTAL else str(row),
                    "column": "" if column in (TOTAL, "n") else str(column),
                    "count": table.shown(row, column),
                }
            )
    return pd.DataFrame(lines, columns=["aggregate", "row", "column", "count"])


def _safe(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with formula-like text neutralised, one vectorised test per
    text column (the same rule as ``datasets.pipeline.export.neutralise``)."""
    safe = frame.copy()
    for name in safe.columns:
        column = safe[name]
        if not (column.dtype == object or pd.api.types.is_string_dtype(column)):
            continue
        text = column.astype("string")
        risky = text.str.startswith(FORMULA_PREFIXES).fillna(False).astype(bool)
        if risky.any():
            safe[name] = column.where(~risky, "'" + text)
    return safe


def _save(path: str, content: bytes) -> dict[str, Any]:
    if default_storage.exists(path):
        default_storage.delete(path)
    default_storage.save(path, ContentFile(content))
    return {
        "path": path,
        "size": len(content),
        "sha256": hashlib.sha256(content).hexdigest(),
    }


def release_files(release: Release) -> dict[str, Any]:
    """Write the release's files under ``releases/<family>/<n>/`` and return their
    paths, sizes and SHA-256, keyed by format."""
    schema = get_family(release.family)
    folder = f"releases/{slugify(release.family)}/{release.number}"
    name = base_name(release)
    frame = records_frame(release) if schema.row_level else _aggregates_frame(release)
    files: dict[str, Any] = {}

    csv_bytes = _safe(frame).to_csv(index=False, lineterminator="\n").encode("utf-8")
    files["csv"] = _save(f"{folder}/{name}.csv", csv_bytes)

    buffer = io.BytesIO()
    _safe(frame).to_excel(buffer, index=False, sheet_name="donnees")
    files["xlsx"] = _save(f"{folder}/{name}.xlsx", buffer.getvalue())

    records = json.loads(frame.to_json(orient="records", force_ascii=False))
    files["json"] = _save(
        f"{folder}/{name}.json",
        json.dumps(records, ensure_ascii=False, indent=1).encode("utf-8"),
    )

    resource_schema = (
        table_schema(schema)
        if schema.row_level
        else {
            "fields": [
                {"name": "aggregate", "type": "string"},
                {"name": "row", "type": "string"},
                {"name": "column", "type": "string"},
                {
                    "name": "count",
                    "type": "string",
                    "description": _(
                        "Count, or “< %(threshold)s” when it is hidden "
                        "(statistical confidentiality)."
                    )
                    % {"threshold": schema.disclosure_threshold},
                },
            ]
        }
    )
    files["schema"] = _save(
        f"{folder}/{name}.schema.json",
        json.dumps(resource_schema, ensure_ascii=False, indent=1).encode("utf-8"),
    )
    package = {
        "name": name,
        "title": f"{schema.label} – publication {release.number}",
        "licenses": [LICENCE],
        "contributors": [{"title": PRODUCER, "role": "publisher"}],
        "version": str(release.number),
        "created": release.published_at.isoformat() if release.published_at else None,
        "datamed": {
            "family": release.family,
            "release": release.number,
            "kind": release.kind,
            "note": release.note,
            "rows": len(frame),
            "disclosure": release.disclosure,
            "changes": release.changes,
            "period": _period(frame, schema) if schema.row_level else None,
            "frequency": getattr(settings, "DATAMED_RELEASE_FREQUENCY", "irregular"),
        },
        "resources": [
            {
                "name": name,
                "path": f"{name}.csv",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "hash": f"sha256:{files['csv']['sha256']}",
                "bytes": files["csv"]["size"],
                "schema": f"{name}.schema.json",
            }
        ],
    }
    files["datapackage"] = _save(
        f"{folder}/datapackage.json",
        json.dumps(package, ensure_ascii=False, indent=1).encode("utf-8"),
    )
    return files


def _period(frame: pd.DataFrame, schema: FamilySchema) -> dict[str, str] | None:
    """First and last dates found in the published records."""
    dates = [
        frame[spec.name].dropna()
        for spec in schema.fields
        if spec.type == "date" and spec.name in frame
    ]
    values = pd.concat(dates) if dates else pd.Series(dtype=str)
    if values.empty:
        return None
    return {"start": str(values.min()), "end": str(values.max())}
