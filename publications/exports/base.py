"""What every file adapter of a release shares: the data it writes (the family's
records, or its aggregates after disclosure control), the rule the files follow
for text a spreadsheet would run, and how a file is stored with its SHA-256."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Protocol

import pandas as pd
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from datasets.families import get_family
from datasets.pipeline.schema import FamilySchema
from datasets.records import record_model
from publications.aggregates import aggregate_tables, tables_frame
from publications.disclosure import TOTAL
from publications.models import Release

LICENCE = {
    "name": "etalab-2.0",
    "title": "Licence Ouverte / Open Licence version 2.0",
    "path": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
}
PRODUCER = "Agence nationale de sécurité du médicament et des produits de santé (ANSM)"

#: The published files keep the source's values; the data package says so.
FORMULA_NOTE = _(
    "Values are published as the source holds them, in every file. A value that "
    "begins with =, +, - or @ (possibly after spaces or line breaks, or in their "
    "full-width forms) is text, never a formula: the XLSX file holds it as a text "
    "cell; open the CSV file in a spreadsheet by importing its columns as text."
)

#: Columns added to every record file.
MATCH_COLUMNS = ("matched_cis",)


def base_name(release: Release) -> str:
    """The files' common name: "<family>-publication-<n>"."""
    return f"{slugify(release.family)}-publication-{release.number}"


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


def aggregates_frame(release: Release) -> pd.DataFrame:
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


@dataclass
class ReleaseData:
    """The data a release publishes, read once for every file."""

    release: Release
    schema: FamilySchema
    frame: pd.DataFrame
    name: str
    folder: str
    #: The files written so far, by format (path, size, SHA-256).
    files: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def read(cls, release: Release) -> ReleaseData:
        schema = get_family(release.family)
        if schema.row_level:
            frame = records_frame(release)
        elif schema.tables is not None:
            frame = tables_frame(release.version)
        else:
            frame = aggregates_frame(release)
        return cls(
            release=release,
            schema=schema,
            frame=frame,
            name=base_name(release),
            folder=f"releases/{slugify(release.family)}/{release.number}",
        )


class Adapter(Protocol):
    """One file of a release: its format key, its file name, its content."""

    format: str

    def filename(self, data: ReleaseData) -> str: ...

    def render(self, data: ReleaseData) -> bytes: ...


def save(path: str, content: bytes) -> dict[str, Any]:
    """Store a file; return its path, size and SHA-256."""
    if default_storage.exists(path):
        default_storage.delete(path)
    default_storage.save(path, ContentFile(content))
    return {
        "path": path,
        "size": len(content),
        "sha256": hashlib.sha256(content).hexdigest(),
    }
