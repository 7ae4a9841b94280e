"""The Table Schema of a release's data file: the family's fields (French titles,
vocabularies as enums, code patterns), or the aggregates' four columns."""

from __future__ import annotations

import json
from typing import Any

from django.utils.translation import gettext as _

from datasets.pipeline.schema import FamilySchema
from publications.exports.base import ReleaseData

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


def aggregates_schema(schema: FamilySchema) -> dict[str, Any]:
    """The Table Schema of a family published as aggregates, one line per cell."""
    return {
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


def tables_schema(schema: FamilySchema) -> dict[str, Any]:
    """The Table Schema of a family published as tables of distinct counts,
    one line per cell with its disclosure status."""
    return {
        "fields": [
            {"name": "table", "type": "string", "description": _("Table name.")},
            {
                "name": "entity_key",
                "type": "string",
                "description": _(
                    "What the entity is (substance_code: BDPM substance code; "
                    "cis: speciality), empty for the global tables."
                ),
            },
            {"name": "entity", "type": "string"},
            {"name": "dimension", "type": "string"},
            {"name": "value", "type": "string"},
            {
                "name": "n",
                "type": "integer",
                "description": _(
                    "Number of distinct cases, empty when hidden (counts from 1 "
                    "to %(last)s are never published, nor those they would reveal)."
                )
                % {"last": schema.disclosure_threshold - 1},
            },
            {
                "name": "status",
                "type": "string",
                "constraints": {"enum": ["value", "suppressed", "zero"]},
            },
            {
                "name": "pct",
                "type": "number",
                "description": _(
                    "Share of the cases of the entity (or of all cases), in "
                    "per cent; empty when the count or its base is hidden."
                ),
            },
        ]
    }


class TableSchemaAdapter:
    format = "schema"

    def filename(self, data: ReleaseData) -> str:
        return f"{data.name}.schema.json"

    def render(self, data: ReleaseData) -> bytes:
        schema = data.schema
        if schema.row_level:
            document = table_schema(schema)
        elif schema.tables is not None:
            document = tables_schema(schema)
        else:
            document = aggregates_schema(schema)
        return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")
