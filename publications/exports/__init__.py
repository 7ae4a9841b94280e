"""The open data files of a release, one adapter per format (as udata's export
adapters): CSV (UTF-8), XLSX and JSON of the published data, its Table Schema,
and a data package with the metadata and the SHA-256 of the data file.

Row-level families publish their records; the others publish their aggregates
after disclosure control. Every file keeps the published values as they are;
text that a spreadsheet would run as a formula is a text cell in the XLSX file,
and the data package states the rule (``FORMULA_NOTE``) for readers of the CSV.
"""

from __future__ import annotations

from typing import Any

from publications.exports.base import Adapter, ReleaseData, save
from publications.exports.csv import CsvAdapter
from publications.exports.datapackage import DataPackageAdapter
from publications.exports.json import JsonAdapter
from publications.exports.tableschema import TableSchemaAdapter
from publications.exports.xlsx import XlsxAdapter
from publications.models import Release

#: The files every release publishes, in the order they are written (the data
#: package describes the CSV, so it comes after it).
ADAPTERS: tuple[Adapter, ...] = (
    CsvAdapter(),
    XlsxAdapter(),
    JsonAdapter(),
    TableSchemaAdapter(),
    DataPackageAdapter(),
)


def release_files(release: Release) -> dict[str, Any]:
    """Write the release's files under ``releases/<family>/<n>/`` and return their
    paths, sizes and SHA-256, keyed by format."""
    data = ReleaseData.read(release)
    for adapter in ADAPTERS:
        path = f"{data.folder}/{adapter.filename(data)}"
        data.files[adapter.format] = save(path, adapter.render(data))
    return data.files


__all__ = ["ADAPTERS", "release_files"]
