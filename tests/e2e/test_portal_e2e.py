"""The public portal in headless Chromium, as a patient or a journalist would use
it, after a shortage extract was approved and published: search, a speciality's
shortage history, the dataset catalogue and a download. Screenshots land in
var/e2e-screenshots/public-*.png."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from referential_admin.models import Presentation
from tests.e2e.pages import full_screenshot
from tests.factories.extracts import ingest
from tests.factories.reviews import approve

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

    substance = page.locator("a[href*='/substance/']").first
    substance.click()
    expect(page.get_by_role("link", name=speciality.name)).to_be_visible()
    full_screenshot(page, "public-06-substance")

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


def test_a_visualisation_page_and_the_releases_screens(
    live_server: Any,
    browser: Any,
    open_as: Any,
    demo: None,
    team: dict[str, Any],
    tmp_path: Path,
) -> None:
    from publications.pages import PortalPage, VisualisationPage

    cip13 = Presentation.objects.order_by("cip13").values_list("cip13", flat=True)[0]
    rows = "".join(
        f"25-{i};ouvert;Rupture de stock;0{i}/02/2025;{cip13};\n" for i in range(1, 4)
    )
    approve(ingest(tmp_path, rows, team["inspection_declarant"]), team)
    visualisation = VisualisationPage(
        title="Les ruptures en 2025",
        slug="ruptures-2025",
        body=[
            ("text", "<p>Les déclarations de l’année, par classification.</p>"),
            (
                "chart",
                {"source": "shortages:per_classification", "title": "Par classe"},
            ),
        ],
    )
    PortalPage.objects.get().add_child(instance=visualisation)
    visualisation.save_revision(user=team["data_office"]).publish(user=None)
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(live_server.url + visualisation.url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Les ruptures en 2025")
    expect(page.get_by_role("columnheader", name="Rupture de stock")).to_be_visible()
    full_screenshot(page, "public-07-visualisation")
    page.context.close()

    office = open_as("gestionnaire.dataoffice")
    office.goto(live_server.url + "/admin/publications/")
    expect(office.get_by_text("Publication 1").first).to_be_visible()
    full_screenshot(office, "public-08-admin-releases")
    second = "".join(
        f"26-{i};ouvert;Rupture de stock;0{i}/03/2025;{cip13};\n" for i in range(1, 3)
    )
    approve(ingest(tmp_path, second, team["inspection_declarant"], "b.csv"), team)
    office.goto(live_server.url + "/admin/publications/")
    office.get_by_role("link", name=re.compile("Retour arrière")).click()
    expect(office.get_by_label(re.compile("Note publique"))).to_be_visible()
    full_screenshot(office, "public-09-admin-rollback")
    office.get_by_label(re.compile("Note publique")).fill(
        "Doublons dans la publication 2."
    )
    office.get_by_role("button", name="Revenir à la publication précédente").click()
    expect(office.get_by_text("Doublons dans la publication 2.")).to_be_visible()


def test_the_portal_with_the_real_bdpm_availability_file(
    live_server: Any,
    browser: Any,
    demo: None,
    team: dict[str, Any],
) -> None:
    """The agency's own availability list (real, BDPM) published, as the figures
    and a medicine's page show it to the public."""
    from datasets.services import extract_ingest
    from tests.datasets.conftest import BDPM_DISPO

    version = extract_ingest(
        path=BDPM_DISPO,
        family="shortages",
        user=team["inspection_declarant"],
        profile_name="BDPM – CIS_CIP_Dispo_Spec",
    )
    assert version.rows_loaded > 700
    approve(version, team)
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(live_server.url + "/ruptures/")
    expect(page.locator(".fr-text--lead")).to_contain_text(
        f"{version.rows_loaded} déclarations"
    )
    assert page.locator("main svg").count() >= 2
    full_screenshot(page, "public-10-shortages-real")
    page.locator("main ul a[href*='/medicament/']").first.click()
    expect(
        page.get_by_role("heading", name="Ruptures et risques de rupture de stock")
    ).to_be_visible()
    full_screenshot(page, "public-11-speciality-real")
    page.context.close()
