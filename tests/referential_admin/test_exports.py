"""Exports of the small referential tables (aliases, ATC corrections) and of
Wagtail's site history never carry a live formula."""

from __future__ import annotations

import csv
import io
from typing import Any

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse
from wagtail.log_actions import log

from referential_admin.models import Alias
from tests.factories.referential import (
    AliasFactory,
    AtcCorrectionFactory,
    SpecialityFactory,
)

pytestmark = pytest.mark.django_db

HOSTILE = '=HYPERLINK("http://example.invalid","clic")'
HIDDEN = " \n+cmd|' /C calc'!A0"
WIDE = "\uff1dHYPERLINK(1)"


@pytest.fixture
def hostile_rows(personas: dict[str, Any]) -> None:
    speciality = SpecialityFactory.create(cis="60234100", name="DOLIPRANE 1000 mg")
    AliasFactory.create(
        label=HOSTILE,
        normalised_label="hyperlink",
        note=HIDDEN,
        speciality=speciality,
        family="",
    )
    AtcCorrectionFactory.create(speciality=speciality, note=WIDE)


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    ("namespace", "column"), [("aliases", 0), ("atc_corrections", 2)]
)
def test_the_csv_export_neutralises_formulas(
    personas: dict[str, Any], hostile_rows: None, namespace: str, column: int
) -> None:
    client = _client(personas["data_office"])
    answer = client.get(reverse(f"{namespace}:export", args=["csv"]))
    assert answer.status_code == 200
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    values = [cell for row in rows[1:] for cell in row]
    assert values, rows
    risky = [v for v in values if v.lstrip(" \n\r\t").startswith(("=", "+", "\uff1d"))]
    assert risky == []
    assert ("'" + (HOSTILE if namespace == "aliases" else WIDE)) in values


@pytest.mark.parametrize("namespace", ["aliases", "atc_corrections"])
def test_the_xlsx_export_writes_formula_like_text_as_strings(
    personas: dict[str, Any], hostile_rows: None, namespace: str
) -> None:
    client = _client(personas["data_office"])
    answer = client.get(reverse(f"{namespace}:export", args=["xlsx"]))
    sheet = openpyxl.load_workbook(io.BytesIO(answer.content)).active
    cells = [cell for row in sheet.iter_rows(min_row=2) for cell in row]
    assert all(cell.data_type != "f" for cell in cells)
    values = {cell.value for cell in cells}
    # The value itself is kept, as text.
    assert (HOSTILE if namespace == "aliases" else WIDE) in values


def test_the_site_history_csv_neutralises_formulas(
    personas: dict[str, Any], hostile_rows: None
) -> None:
    alias = Alias.objects.get()
    log(instance=alias, action="wagtail.edit", user=personas["data_office"])
    client = _client(personas["administrator"])
    answer = client.get(reverse("wagtailadmin_reports:site_history"), {"export": "csv"})
    assert answer.status_code == 200
    content = b"".join(answer.streaming_content).decode("utf-8")
    rows = list(csv.reader(io.StringIO(content)))
    values = [cell for row in rows[1:] for cell in row]
    assert "'" + HOSTILE in values
    assert HOSTILE not in values
