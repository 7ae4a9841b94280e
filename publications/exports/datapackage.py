"""The release's data package: the metadata (licence, producer, period, rules
applied, changes) and the data file's checksum. Written after the CSV."""

from __future__ import annotations

import json

import pandas as pd
from django.conf import settings

from datasets.pipeline.schema import FamilySchema
from publications.exports.base import FORMULA_NOTE, LICENCE, PRODUCER, ReleaseData


def period(frame: pd.DataFrame, schema: FamilySchema) -> dict[str, str] | None:
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


class DataPackageAdapter:
    format = "datapackage"

    def filename(self, data: ReleaseData) -> str:
        return "datapackage.json"

    def render(self, data: ReleaseData) -> bytes:
        release, schema, name = data.release, data.schema, data.name
        csv = data.files["csv"]
        package = {
            "name": name,
            "title": f"{schema.label} – publication {release.number}",
            "licenses": [LICENCE],
            "contributors": [{"title": PRODUCER, "role": "publisher"}],
            "version": str(release.number),
            "created": release.published_at.isoformat()
            if release.published_at
            else None,
            "datamed": {
                "family": release.family,
                "release": release.number,
                "kind": release.kind,
                "note": release.note,
                "rows": len(data.frame),
                "disclosure": release.disclosure,
                "changes": release.changes,
                "period": period(data.frame, schema) if schema.row_level else None,
                "frequency": getattr(
                    settings, "DATAMED_RELEASE_FREQUENCY", "irregular"
                ),
                "values": str(FORMULA_NOTE),
            },
            "resources": [
                {
                    "name": name,
                    "path": f"{name}.csv",
                    "format": "csv",
                    "mediatype": "text/csv",
                    "encoding": "utf-8",
                    "hash": f"sha256:{csv['sha256']}",
                    "bytes": csv["size"],
                    "schema": f"{name}.schema.json",
                }
            ],
        }
        return json.dumps(package, ensure_ascii=False, indent=1).encode("utf-8")
