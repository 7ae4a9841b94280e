"""A pharmacovigilance version through its whole review by the surveillance
directorate and the Data Office, released as tables of distinct cases: every
file and the API carry per-cell statuses, nothing from 1 to 10 is published, no
record is published row by row, and the method note states the share hidden."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from datasets import services
from publications.models import Release
from tests.factories.pharmacovigilance import write_small_extract
from workflows import services as review

pytestmark = pytest.mark.django_db


def test_the_surveillance_and_the_data_office_release_a_pharmacovigilance_version(
    tmp_path: Path, media: Path, small_referential: None, team: dict[str, Any]
) -> None:
    version = services.extract_ingest_parts(
        paths=write_small_extract(tmp_path),
        family="pharmacovigilance",
        user=team["surveillance_declarant"],
    )
    review.version_submit(version=version, user=team["surveillance_declarant"])
    review.version_decide(
        version=version, user=team["surveillance_reviewer"], action="approve"
    )
    review.version_decide(version=version, user=team["data_office"], action="approve")
    release = Release.objects.get(family="pharmacovigilance")
    assert release.version_id == version.pk
    client = Client()
    body = client.get("/donnees/pharmacovigilance/derniere/csv/")
    assert body.status_code == 200
    text = b"".join(body.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {"table", "entity", "value", "n", "status", "pct"} <= set(rows[0])
    assert {row["table"] for row in rows} >= {
        "cases_total",
        "cases_by_sex",
        "substance_cases",
        "speciality_cases_by_soc",
    }
    # Three cases: every count is from 1 to 10, so every cell is hidden.
    assert {row["status"] for row in rows} == {"suppressed"}
    assert {row["n"] for row in rows} == {""}
    # No case is published row by row: no case number in any file.
    assert "A1" not in text and "FR-1" not in text
    api = client.get("/api/v1/pharmacovigilance/aggregates/").json()
    assert api["threshold"] == 11
    assert api["tables"]["cases_by_sex"]["keys"] == ["sex"]
    assert all(
        row["n"] is None for table in api["tables"].values() for row in table["rows"]
    )
    assert client.get("/api/v1/pharmacovigilance/records/").status_code == 404
    method = release.disclosure
    assert method["suppressed_share"] == 1.0 and method["cells"] == len(rows)
    package = json.loads(
        b"".join(
            client.get(
                "/donnees/pharmacovigilance/derniere/datapackage/"
            ).streaming_content
        )
    )
    assert package["resources"]
