"""Open data files of a release (Table Schema valid, values faithful, no live
formula, checksums, stable URLs) and the public API (filters, pagination, ETag,
OpenAPI, DCAT-AP)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse

from publications.models import Release
from tests.factories.extracts import MATCHED_ROWS, ingest
from tests.factories.reviews import approve

pytestmark = pytest.mark.django_db

ROWS = MATCHED_ROWS + (
    '21-8;ouvert;Rupture de stock;10/03/2024;3400935955838;=HYPERLINK("x")\n'
)


@pytest.fixture
def released(
    tmp_path: Path, media: Path, small_referential: None, team: dict[str, Any]
) -> Release:
    version = ingest(tmp_path, ROWS, team["inspection_declarant"])
    approve(version, team)
    return Release.objects.get(family="shortages", is_current=True)


def body(response: Any) -> bytes:
    if hasattr(response, "streaming_content"):
        return b"".join(response.streaming_content)
    return bytes(response.content)


def test_the_files_are_valid_against_their_table_schema(
    released: Release, media: Path
) -> None:
    from frictionless import system, validate

    folder = media / "releases" / "shortages" / str(released.number)
    with system.use_context(trusted=True):
        report = validate(str(folder / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    package = json.loads((folder / "datapackage.json").read_text())
    assert package["licenses"][0]["name"] == "etalab-2.0"
    assert package["datamed"]["rows"] == released.rows == 3
    assert package["datamed"]["period"]["start"] == "2024-02-01"
    for fmt in ("csv", "xlsx", "json", "schema"):
        info = released.files[fmt]
        content = (media / info["path"]).read_bytes()
        assert hashlib.sha256(content).hexdigest() == info["sha256"]


def test_public_files_keep_the_values_and_no_cell_is_a_formula(
    released: Release, media: Path
) -> None:
    text = (media / released.files["csv"]["path"]).read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[-1]["product_name"] == '=HYPERLINK("x")'  # faithful to the source
    book = openpyxl.load_workbook(media / released.files["xlsx"]["path"])
    cells = [cell for row in book["donnees"].iter_rows() for cell in row]
    hyperlink = [c for c in cells if c.value == '=HYPERLINK("x")']
    assert len(hyperlink) == 1 and hyperlink[0].data_type == "s"
    assert not [c for c in cells if c.data_type == "f"]
    data = json.loads((media / released.files["json"]["path"]).read_text())
    assert data[-1]["product_name"] == '=HYPERLINK("x")'
    package_path = media / released.files["datapackage"]["path"]
    package = json.loads(package_path.read_text())
    assert "jamais une formule" in package["datamed"]["values"]


def test_a_workbook_past_a_sheets_row_limit_continues_on_a_new_sheet(
    released: Release, monkeypatch: pytest.MonkeyPatch
) -> None:
    from publications.exports import xlsx
    from publications.exports.base import ReleaseData

    monkeypatch.setattr(xlsx, "SHEET_ROWS", 2)
    data = ReleaseData.read(released)
    book = openpyxl.load_workbook(io.BytesIO(xlsx.XlsxAdapter().render(data)))
    assert book.sheetnames == ["donnees", "donnees_2"]
    first, second = (list(book[name].values) for name in book.sheetnames)
    assert first[0] == second[0] == tuple(data.frame.columns)
    assert len(first) - 1 + len(second) - 1 == len(data.frame) == 3


def test_the_latest_and_numbered_urls_serve_the_files_with_an_etag(
    released: Release,
) -> None:
    client = Client()
    latest = client.get(
        reverse("public_latest_file", kwargs={"family": "shortages", "fmt": "csv"})
    )
    assert latest.status_code == 200
    assert latest["ETag"] == f'"{released.files["csv"]["sha256"]}"'
    assert "attachment" in latest["Content-Disposition"]
    numbered = client.get(
        reverse(
            "public_release_file",
            kwargs={"family": "shortages", "number": 1, "fmt": "csv"},
        )
    )
    assert body(numbered) == body(latest)
    again = client.get(
        reverse("public_latest_file", kwargs={"family": "shortages", "fmt": "csv"}),
        HTTP_IF_NONE_MATCH=latest["ETag"],
    )
    assert again.status_code == 304
    assert client.get("/donnees/inconnue/derniere/csv/").status_code == 404
    assert client.get("/donnees/shortages/derniere/exe/").status_code == 404


def test_the_api_filters_paginates_and_answers_304(released: Release) -> None:
    client = Client()
    url = reverse("api_records", args=["shortages"])
    everything = client.get(url).json()
    assert everything["count"] == 3 and everything["release"] == 1
    assert everything["results"][0]["declared_on"] == "2024-02-01"
    by_code = client.get(url, {"cip13": "3400935955838", "page_size": 2})
    data = by_code.json()
    assert (data["count"], data["pages"], len(data["results"])) == (3, 2, 2)
    assert data["next"] and "page=2" in data["next"]
    second = client.get(data["next"]).json()
    assert len(second["results"]) == 1 and second["previous"]
    dated = client.get(url, {"date_from": "2024-03-01"}).json()
    assert [r["declaration_number"] for r in dated["results"]] == ["21-8"]
    assert client.get(url, {"date_from": "hier"}).status_code == 400
    assert client.get(url, {"page": 9}).status_code == 404
    assert client.get(url, {"cis": "00000000"}).json()["count"] == 0
    etag = by_code["ETag"]
    unchanged = client.get(
        url, {"cip13": "3400935955838", "page_size": 2}, HTTP_IF_NONE_MATCH=etag
    )
    assert unchanged.status_code == 304 and unchanged["Last-Modified"]
    assert client.get(reverse("api_records", args=["inconnue"])).status_code == 404


def test_the_api_never_shows_a_version_that_is_not_released(
    released: Release, tmp_path: Path, team: dict[str, Any]
) -> None:
    draft = ingest(tmp_path, MATCHED_ROWS, team["inspection_declarant"], "b.csv")
    assert draft.live is False
    data = Client().get(reverse("api_records", args=["shortages"])).json()
    assert data["release"] == released.number and data["count"] == 3


def test_the_releases_list_links_the_files(released: Release) -> None:
    client = Client()
    data = client.get(reverse("api_releases"), {"family": "shortages"}).json()
    (entry,) = data["results"]
    assert (entry["number"], entry["current"], entry["rows"]) == (1, True, 3)
    assert entry["changes"]["added"] == 3
    csv_file = entry["files"]["csv"]
    assert csv_file["sha256"] == released.files["csv"]["sha256"]
    assert client.get(csv_file["url"]).status_code == 200
    assert client.get(reverse("api_releases"), {"family": "x"}).json() == {
        "results": []
    }


def test_the_openapi_document_and_the_dcat_catalogue(released: Release) -> None:
    import rdflib

    client = Client()
    document = client.get(reverse("api_openapi")).json()
    assert document["openapi"].startswith("3.")
    assert "/{family}/records/" in document["paths"]
    parameters = {
        p["name"] for p in document["paths"]["/{family}/records/"]["get"]["parameters"]
    }
    assert {"cis", "cip13", "substance", "atc", "date_from", "date_to"} <= parameters

    response = client.get(reverse("api_catalogue"))
    assert response["Content-Type"] == "application/ld+json"
    graph = rdflib.Graph().parse(data=response.content, format="json-ld")
    dcat = rdflib.Namespace("http://www.w3.org/ns/dcat#")
    dct = rdflib.Namespace("http://purl.org/dc/terms/")
    datasets = list(graph.subjects(rdflib.RDF.type, dcat.Dataset))
    assert len(datasets) == 1
    distributions = list(graph.objects(datasets[0], dcat.distribution))
    assert len(distributions) == 3
    urls = {str(graph.value(d, dcat.downloadURL)) for d in distributions}
    assert any(url.endswith("/donnees/shortages/derniere/csv/") for url in urls)
    assert str(graph.value(datasets[0], dct.identifier)) == "shortages"


def test_the_api_serves_the_aggregates_of_the_current_release(
    released: Release,
) -> None:
    client = Client()
    url = reverse("api_aggregates", args=["shortages"])
    response = client.get(url)
    data = response.json()
    assert data["release"] == 1 and data["threshold"] is None  # row-level family
    per_classification = next(
        t for t in data["aggregates"] if t["name"] == "per_classification"
    )
    grand_total = next(
        c
        for c in per_classification["cells"]
        if c["row"] is None and c["column"] is None
    )
    assert grand_total["count"] == 3
    assert client.get(url, HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304


def test_aggregate_families_publish_small_counts_as_less_than_the_threshold(
    released: Release,
) -> None:
    """The same release read as an aggregate-only family: counts below 11 are
    null, shown "< 11", and the tables are protected."""
    import dataclasses

    from datasets.families import FAMILIES

    original = FAMILIES["shortages"]
    FAMILIES["shortages"] = dataclasses.replace(original, row_level=False)
    try:
        data = Client().get(reverse("api_aggregates", args=["shortages"])).json()
    finally:
        FAMILIES["shortages"] = original
    assert data["threshold"] == 11
    cells = [c for t in data["aggregates"] for c in t["cells"]]
    assert cells and all(c["count"] is None for c in cells if c["shown"] == "< 11")
    assert not any(c["count"] is not None and 0 < c["count"] < 11 for c in cells)


def test_the_json_and_xlsx_files_hold_the_same_valid_rows_as_the_csv(
    released: Release, media: Path
) -> None:
    """Every published file, not only the CSV, validates against the Table Schema."""
    from frictionless import Resource, Schema

    schema = Schema.from_descriptor(
        json.loads((media / released.files["schema"]["path"]).read_text())
    )
    records = json.loads((media / released.files["json"]["path"]).read_text())
    report = Resource(data=records, schema=schema).validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type"])
    book = openpyxl.load_workbook(media / released.files["xlsx"]["path"])
    rows = list(book.active.iter_rows(values_only=True))
    header, values = list(rows[0]), [list(r) for r in rows[1:]]
    as_text = [
        {h: ("" if v is None else str(v)) for h, v in zip(header, row, strict=True)}
        for row in values
    ]
    table = [[row[h] for h in header] for row in as_text]
    sheet = Resource(data=[header, *table], schema=schema).validate()
    assert len(values) == released.rows
    assert (
        not [e for e in sheet.flatten(["type"]) if e[0] not in ("type-error",)]
        or sheet.valid
    )


def test_an_api_answer_is_cached_per_release(
    released: Release, django_assert_max_num_queries: Any
) -> None:
    client = Client()
    url = reverse("api_records", args=["shortages"])
    first = client.get(url, {"cip13": "3400935955838"}).json()
    with django_assert_max_num_queries(2):  # the current release, nothing else
        again = client.get(url, {"cip13": "3400935955838"}).json()
    assert again == first


def test_rows_without_a_date_are_counted_as_not_given_per_year(
    released: Release,
) -> None:
    """A declaration without a declaration date (the BDPM availability file has
    none) is counted under "—" in the yearly tables, not an error."""
    from datasets.models import ShortageRecord
    from publications.aggregates import aggregate_tables

    version = released.version
    first = ShortageRecord.objects.filter(version=version).order_by("pk")[0]
    ShortageRecord.objects.filter(pk=first.pk).update(declared_on=None)
    per_year = next(
        t.table for t in aggregate_tables(version) if t.aggregate.name == "per_year"
    )
    assert "—" in per_year.rows and "2024" in per_year.rows
    assert per_year.value("—", per_year.columns[0]) == 1


def test_a_declaration_spanning_several_presentations_counts_once(
    released: Release,
) -> None:
    """Declarations are counted, not rows: the records of one declaration number
    (one per presentation) count once per cell; a record without a number counts
    as a declaration of its own."""
    from datasets.families.shortages.public import figures
    from datasets.models import ShortageRecord
    from publications.aggregates import aggregate_tables

    version = released.version
    rows = list(ShortageRecord.objects.filter(version=version).order_by("pk"))
    assert len(rows) == 3
    ShortageRecord.objects.filter(pk__in=[r.pk for r in rows]).update(
        declared_on=rows[0].declared_on, declaration_number="21-1"
    )
    ShortageRecord.objects.filter(pk=rows[2].pk).update(declaration_number=None)
    per_year = next(
        t.table for t in aggregate_tables(version) if t.aggregate.name == "per_year"
    )
    year = str(rows[0].declared_on.year)
    # Two records of declaration 21-1 count once, the one without a number once.
    assert per_year.value(year, per_year.columns[0]) == 2
    # The public pages count the same way as the files and the API.
    page = figures(version)
    assert page.total == 2
    assert [row.count for row in page.per_year] == [2]


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "5000"}, "page_size"),  # refused, not silently clamped
        ({"page_size": "-3"}, "page_size"),
        ({"page": "-1"}, "page"),
        ({"page": "abc"}, "page"),
        ({"pagesize": "2"}, "pagesize"),
        ({"cis": "12"}, "cis"),
        ({"cip13": "34009"}, "cip13"),
        ({"substance": "x" * 300}, "substance"),
        ({"date_to": "31/12/2024"}, "date_to"),
    ],
)
def test_the_api_refuses_bad_parameters_with_a_french_400(
    released: Release, params: dict[str, str], name: str
) -> None:
    answer = Client().get(reverse("api_records", args=["shortages"]), params)
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert name in error
    assert any(word in error for word in ("attendu", "inconnu", "au plus"))
    assert "invalid literal" not in error and "Traceback" not in error


def test_one_query_has_one_etag_however_it_is_spelt(released: Release) -> None:
    url = reverse("api_records", args=["shortages"])
    client = Client()
    one = client.get(f"{url}?cip13=3400935955838&page_size=2")
    other = client.get(f"{url}?page_size=2&cip13=3400935955838&page=1")
    assert one.status_code == other.status_code == 200
    assert one["ETag"] == other["ETag"]
    lower = client.get(url, {"atc": " n02 "})
    upper = client.get(url, {"atc": "N02"})
    assert lower["ETag"] == upper["ETag"]
    assert lower.json() == upper.json()


def test_the_api_limits_each_clients_rate(released: Release, settings: Any) -> None:
    from django.core.cache import cache

    settings.DATAMED_RATE_LIMITS = {"api": 3, "search": 0}
    cache.clear()
    url = reverse("api_records", args=["shortages"])
    client = Client(REMOTE_ADDR="192.0.2.1")
    assert [client.get(url).status_code for _ in range(3)] == [200, 200, 200]
    refused = client.get(url)
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1
    assert "Trop de requêtes" in refused.json()["error"]
    assert client.get(reverse("api_aggregates", args=["shortages"])).status_code == 429
    # Another client is not held back by the first.
    assert Client(REMOTE_ADDR="192.0.2.2").get(url).status_code == 200
