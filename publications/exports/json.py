"""The release as a JSON list of objects. Values stay as they are: JSON is read
by programs, not spreadsheets."""

from __future__ import annotations

import json

from publications.exports.base import ReleaseData


class JsonAdapter:
    format = "json"

    def filename(self, data: ReleaseData) -> str:
        return f"{data.name}.json"

    def render(self, data: ReleaseData) -> bytes:
        records = json.loads(data.frame.to_json(orient="records", force_ascii=False))
        return json.dumps(records, ensure_ascii=False, indent=1).encode("utf-8")
