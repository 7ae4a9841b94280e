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


class TableSchemaAdapter:
    format = "schema"

    def filename(self, data: ReleaseData) -> str:
        return f"{data.name}.schema.json"

    def render(self, data: ReleaseData) -> bytes:
        schema = data.schema
        document = (
            table_schema(schema) if schema.row_level else aggregates_schema(schema)
        )
        return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")
