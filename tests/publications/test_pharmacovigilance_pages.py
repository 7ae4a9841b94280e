"""The public pages of a pharmacovigilance release: a speciality's and a
substance's declared cases and the page "Adverse effects in figures" show the
release's protected tables (never a hidden count), with their period, their
caveats and the percentages' base; where everything is hidden they say so."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from datasets import services
from datasets.models import DatasetVersion
from tests.datasets.conftest import DOLIPRANE
from tests.factories.pharmacovigilance import (
    write_published_extract,
    write_small_extract,
)
from workflows import services as review

pytestmark = pytest.mark.django_db
PARACETAMOL = "02202"
NOTHING = "Aucune donnée à afficher en raison d’un effectif trop faible ou nul."


def _release(paths: list[Path], team: dict[str, Any]) -> DatasetVersion:
    version = services.extract_ingest_parts(
        paths=paths, family="pharmacovigilance", user=team["surveillance_declarant"]
    )
    review.version_submit(version=version, user=team["surveillance_declarant"])
    review.version_decide(
        version=version, user=team["surveillance_reviewer"], action="approve"
    )
    review.version_decide(version=version, user=team["data_office"], action="approve")
    return version


def html(url: str) -> str:
    response = Client().get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def _cells(page: str, label: str) -> str:
    """The text of the table line that starts with ``label``."""
    start = page.index(f"<tr><td>{label}")
    return page[start : page.index("</tr>", start)]


def test_the_pages_show_the_released_cases_and_hide_what_the_files_hide(
    tmp_path: Path, media: Path, small_referential: None, team: dict[str, Any]
) -> None:
    speciality_url = f"/medicament/{DOLIPRANE}/"
    assert "Aucune donnée d’effets indésirables n’a encore été publiée." in html(
        speciality_url
    )
    assert "n’a encore été publiée" in html("/effets-indesirables/")
    version = _release(write_published_extract(tmp_path), team)
    assert version.assembly["cases"] == 30
    for url in (speciality_url, f"/substance/{PARACETAMOL}/", "/effets-indesirables/"):
        page = html(url)
        assert "30 cas déclarés d’effets indésirables suspectés." in page, url
        assert "Données issues de la période 2022 – 2023." in page, url
        assert "ne prouve pas que le médicament" in page, url
        assert "pas des fréquences" in page, url
        # Women 15 are shown; men 12 are hidden with the 3 of sex not given
        # (otherwise 30 − 15 − 12 would give them).
        assert "<td>15</td><td>50,0 %</td>" in _cells(page, "Femmes"), url
        assert "masqué" in _cells(page, "Hommes"), url
        assert "masqué" in _cells(page, "Non renseigné"), url
        assert ">12<" not in _cells(page, "Hommes"), url
        # Once per SOC (English names translated), with the HLT drill-down.
        assert "<td>18</td><td>60,0 %</td>" in _cells(page, "Affections cardiaques")
        assert "Arythmies : 18 (60,0 %)" in page, url
        assert "Hospitalisation" in _cells(page, "Hospitalisation"), url
        assert "<svg" in page, url  # the charts, drawn on the server
    menu = html("/")
    assert '<a class="fr-nav__link" href="/effets-indesirables/"' in menu
    assert "Effets indésirables en chiffres</a>" in menu
    substance = html(f"/substance/{PARACETAMOL}/")
    line = substance[substance.index(f"/medicament/{DOLIPRANE}/") :]
    assert "<td>30</td>" in line[: line.index("</tr>")]


def test_a_release_whose_counts_are_all_small_says_there_is_nothing_to_show(
    tmp_path: Path, media: Path, small_referential: None, team: dict[str, Any]
) -> None:
    _release(write_small_extract(tmp_path), team)
    for url in (f"/medicament/{DOLIPRANE}/", "/effets-indesirables/"):
        page = html(url)
        assert NOTHING in page, url
        assert "cas déclarés d’effets" not in page, url
