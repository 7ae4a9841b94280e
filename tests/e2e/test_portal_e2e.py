"""The public portal in headless Chromium, as a patient or a journalist would use
it, after a shortage extract was approved and published: search, a speciality's
shortage history, the dataset catalogue and a download. Screenshots land in
var/e2e-screenshots/public-*.png."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from referential_admin.models import Presentation
from tests.e2e.test_datasets_e2e import full_screenshot
from tests.publications.test_releases import approve
from tests.workflows.test_review import ingest

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_a_visitor_finds_a_medicine_and_its_shortages(
    live_server: Any,
    browser: Any,
    demo: None,
    team: dict[str, Any],
    tmp_path: Path,
) -> None:
    presentation = Presentation.objects.select_related("speciality").order_by("cip13")[
        0
    ]
    speciality = presentation.speciality
    rows = (
        f"25-1;ouvert;Rupture de stock;03/02/2025;{presentation.cip13};\n"
        f"24-9;fermé;Risque de rupture de stock;03/05/2024;{presentation.cip13};\n"
    )
    version = ingest(tmp_path, rows, team["inspection_declarant"])
    assert version.rows_loaded == 2
    approve(version, team)

    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(live_server.url + "/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Médicaments")
    full_screenshot(page, "public-01-home")
    word = speciality.name.split()[0].lower()
    page.get_by_label("Chercher un médicament").fill(word)
    page.get_by_role("button", name="Rechercher").click()
    expect(page.get_by_role("link", name=speciality.name)).to_be_visible()
    full_screenshot(page, "public-02-search")
    page.get_by_role("link", name=speciality.name).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(speciality.name)
    expect(page.get_by_text("25-1")).to_be_visible()
    expect(page.get_by_text("En cours").first).to_be_visible()
    full_screenshot(page, "public-03-speciality")

    page.get_by_role("link", name="Ruptures en chiffres").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Les ruptures de stock en chiffres"
    )
    expect(page.get_by_text("2 déclarations de ruptures")).to_be_visible()
    full_screenshot(page, "public-05-shortages")

    page.goto(live_server.url + "/jeux-de-donnees/")
    expect(
        page.get_by_role("heading", name="Ruptures et risques de rupture de stock")
    ).to_be_visible()
    full_screenshot(page, "public-04-catalogue")
    with page.expect_download() as download:
        page.get_by_role("link", name="CSV").first.click()
    content = Path(download.value.path()).read_text(encoding="utf-8")
    assert "25-1" in content and presentation.cip13 in content
    page.context.close()
