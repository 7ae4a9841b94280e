"""Machine-readable descriptions of the public data: the OpenAPI document of
/api/v1/ and the DCAT-AP catalogue (JSON-LD) that data.gouv.fr harvests."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from datasets.families import FAMILIES
from publications.exports.base import LICENCE, PRODUCER
from publications.models import Release

FORMAT_LABELS = {
    "csv": ("CSV", "text/csv"),
    "xlsx": (
        "XLSX",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    "json": ("JSON", "application/json"),
}


def dcat_catalogue(base: str) -> dict[str, Any]:
    """The catalogue: one dataset per family with a release, one distribution
    per file of its current release (stable "latest" URLs, checksums)."""
    datasets = []
    for release in Release.objects.filter(is_current=True).order_by("family"):
        schema = FAMILIES.get(release.family)
        if schema is None:
            continue
        dataset_url = f"{base}/api/v1/releases/?family={release.family}"
        distributions = []
        for fmt, (label, mediatype) in FORMAT_LABELS.items():
            info = release.files.get(fmt)
            if not info:
                continue
            latest = base + reverse(
                "public_latest_file", kwargs={"family": release.family, "fmt": fmt}
            )
            distributions.append(
                {
                    "@id": latest,
                    "@type": "dcat:Distribution",
                    "dct:title": f"{schema.label} ({label})",
                    "dcat:accessURL": {"@id": latest},
                    "dcat:downloadURL": {"@id": latest},
                    "dct:format": label,
                    "dcat:mediaType": mediatype,
                    "dcat:byteSize": {"@value": info["size"], "@type": "xsd:decimal"},
                    "spdx:checksum": {
                        "@type": "spdx:Checksum",
                        "spdx:algorithm": {"@id": "spdx:checksumAlgorithm_sha256"},
                        "spdx:checksumValue": info["sha256"],
                    },
                    "dct:license": {"@id": LICENCE["path"]},
                }
            )
        datasets.append(
            {
                "@id": dataset_url,
                "@type": "dcat:Dataset",
                "dct:identifier": release.family,
                "dct:title": str(schema.label),
                "dct:description": _(
                    "%(family)s: data published by the ANSM, release %(number)s."
                )
                % {"family": schema.label, "number": release.number},
                "dct:publisher": {"@type": "foaf:Organization", "foaf:name": PRODUCER},
                "dct:issued": {
                    "@value": release.published_at.isoformat(),
                    "@type": "xsd:dateTime",
                },
                "dct:modified": {
                    "@value": release.published_at.isoformat(),
                    "@type": "xsd:dateTime",
                },
                "dct:license": {"@id": LICENCE["path"]},
                "dct:language": {
                    "@id": "http://publications.europa.eu/resource/authority/language/FRA"
                },
                "owl:versionInfo": str(release.number),
                "dcat:distribution": distributions,
            }
        )
    return {
        "@context": {
            "dcat": "http://www.w3.org/ns/dcat#",
            "dct": "http://purl.org/dc/terms/",
            "foaf": "http://xmlns.com/foaf/0.1/",
            "owl": "http://www.w3.org/2002/07/owl#",
            "spdx": "http://spdx.org/rdf/terms#",
            "xsd": "http://www.w3.org/2001/XMLSchema#",
        },
        "@id": f"{base}/api/v1/catalogue.jsonld",
        "@type": "dcat:Catalog",
        "dct:title": _("DataMed – the ANSM's public data on medicines"),
        "dct:publisher": {"@type": "foaf:Organization", "foaf:name": PRODUCER},
        "dct:language": {
            "@id": "http://publications.europa.eu/resource/authority/language/FRA"
        },
        "dcat:dataset": datasets,
    }


def _parameter(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
    }


def openapi_document(base: str) -> dict[str, Any]:
    """The OpenAPI 3.1 description of the public API."""
    families = sorted(key for key, schema in FAMILIES.items() if schema.row_level)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": _("DataMed API (ANSM)"),
            "version": "1",
            "description": _(
                "The ANSM's public data on medicines: releases, and the rows of "
                "the current release. Read only, no authentication. Responses "
                "carry ETag and Last-Modified."
            ),
            "license": {"name": LICENCE["title"], "url": LICENCE["path"]},
        },
        "servers": [{"url": f"{base}/api/v1"}],
        "paths": {
            "/releases/": {
                "get": {
                    "summary": _("The releases"),
                    "parameters": [
                        _parameter("family", _("Data family"), {"type": "string"})
                    ],
                    "responses": {"200": {"description": _("The releases")}},
                }
            },
            "/{family}/records/": {
                "get": {
                    "summary": _("Rows of a family's current release"),
                    "parameters": [
                        {
                            "name": "family",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string", "enum": families},
                        },
                        _parameter("cis", _("CIS code (8 digits)"), {"type": "string"}),
                        _parameter(
                            "cip13", _("CIP13 code (13 digits)"), {"type": "string"}
                        ),
                        _parameter(
                            "substance",
                            _("Substance (contains, any case)"),
                            {"type": "string"},
                        ),
                        _parameter("atc", _("ATC class (prefix)"), {"type": "string"}),
                        _parameter(
                            "date_from",
                            _("From this date (YYYY-MM-DD), included"),
                            {"type": "string", "format": "date"},
                        ),
                        _parameter(
                            "date_to",
                            _("Until this date (YYYY-MM-DD), included"),
                            {"type": "string", "format": "date"},
                        ),
                        _parameter("page", _("Page (from 1)"), {"type": "integer"}),
                        _parameter(
                            "page_size",
                            _("Rows per page (1000 at most)"),
                            {"type": "integer", "maximum": 1000},
                        ),
                    ],
                    "responses": {
                        "200": {"description": _("A page of rows")},
                        "304": {"description": _("Unchanged since the ETag given")},
                        "400": {"description": _("Invalid parameter")},
                        "404": {"description": _("Unknown family or page")},
                    },
                }
            },
            "/{family}/aggregates/": {
                "get": {
                    "summary": _(
                        "Aggregate tables of a family's current release, after "
                        "disclosure control"
                    ),
                    "parameters": [
                        {
                            "name": "family",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string", "enum": sorted(FAMILIES)},
                        }
                    ],
                    "responses": {
                        "200": {"description": _("The tables")},
                        "304": {"description": _("Unchanged since the ETag given")},
                    },
                }
            },
            "/catalogue.jsonld": {
                "get": {
                    "summary": _("DCAT-AP catalogue (JSON-LD)"),
                    "responses": {"200": {"description": _("The catalogue")}},
                }
            },
        },
    }
