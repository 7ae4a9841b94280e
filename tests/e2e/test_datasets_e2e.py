"""The datasets screens in headless Chromium, on real files.

A declarant of the Inspection uploads the Dispomed shortage extract, confirms the
detected reading and the suggested mapping, cleans it, reads the quality report
(rule filter, XLSX workbook), settles a medicine in the match review queue and
looks at the changes; the same bytes are recognised, a disguised image is refused,
a reviewer only reads, another directorate does not see the upload and the Data
Office sees the lists. The headerless BDPM availability file goes through the
ready-made profile. Screenshots land in var/e2e-screenshots/."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from playwright.sync_api import expect

from datasets.models import DatasetVersion, ShortageRecord, Upload
from tests.e2e.pages import (
    ACCEPT_ALL,
    BDPM_AVAILABILITY,
    DISPOMED,
    PNG_BYTES,
    UPLOAD_URL,
    VERSION_URL,
    fact,
    full_screenshot,
    number_in,
    upload,
    wait_for_message,
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_a_declarant_uploads_cleans_and_reviews_the_dispomed_extract(
    live_server: Any,
    demo: None,
    open_as: Callable[[str], Any],
    tmp_path: Path,
) -> None:
    base = live_server.url
    page = open_as("declarant.inspection")

    # 1. Upload: the detected reading is shown for confirmation.
    upload(page, base, DISPOMED)
    page.wait_for_url(UPLOAD_URL)
    upload_path = page.url.removeprefix(base)
    upload_pk = number_in(upload_path)
    expect(fact(page, "Statut")).to_have_text("Analysé")
    expect(fact(page, "Format")).to_have_text("CSV")
    expect(fact(page, "Encodage")).to_have_text(re.compile(r"utf-8", re.IGNORECASE))
    expect(fact(page, "Séparateur")).to_have_text("« , »")
    expect(fact(page, "Ligne d'en-tête")).to_have_text("1")
    expect(fact(page, "Lignes analysées")).to_have_text("933")
    expect(page.get_by_role("heading", name="Colonnes (11)")).to_be_visible()
    columns = page.locator("table", has=page.get_by_role("columnheader", name="Type"))
    for column in ("normalized_name", "status", "start_date", "atc_code"):
        expect(columns.get_by_role("cell", name=column, exact=True)).to_be_visible()
    full_screenshot(page, "datasets-upload")

    # 2. Mapping: the suggestion is preselected.
    page.get_by_role("link", name="Vérifier la correspondance et nettoyer").click()
    page.wait_for_url(f"{base}/admin/donnees/depot/{upload_pk}/correspondance/")
    suggested = {
        "Classification": "status",
        "Nom du médicament": "normalized_name",
        "Date de début": "start_date",
        "Date de remise à disposition": "end_date",
        "Code ATC": "atc_code",
        "Numéro de déclaration": "",
    }
    for field, column in suggested.items():
        select = page.get_by_role("combobox", name=re.compile(rf"^{field}\b"))
        expect(select).to_have_value(column)
    full_screenshot(page, "datasets-mapping")
    page.get_by_role("button", name="Enregistrer la correspondance et nettoyer").click()

    # 3. Quality report: the cleaning ran before the redirect (eager jobs).
    page.wait_for_url(VERSION_URL)
    version_path = page.url.removeprefix(base)
    version = DatasetVersion.objects.get(upload_id=upload_pk)
    assert version.status == DatasetVersion.Status.DRAFT
    assert version.rows_read == 933
    cards = page.locator(".datamed-card")
    expect(cards.filter(has_text="lignes lues")).to_have_text(
        re.compile(r"933\s*lignes lues")
    )
    expect(cards.filter(has_text="lignes chargées")).to_have_text(
        re.compile(rf"{version.rows_loaded}\s*lignes chargées")
    )
    rules = page.locator("table", has=page.get_by_role("columnheader", name="Règle"))
    expect(rules.get_by_role("link", name="Code ATC mal formé")).to_be_visible()
    matching = page.locator(
        "section", has=page.get_by_role("heading", name="Appariement au référentiel")
    )
    expect(matching.get_by_role("cell", name="Exact (code ou nom)")).to_be_visible()
    completeness = page.locator(
        "section", has=page.get_by_role("heading", name="Complétude par champ")
    )
    expect(
        completeness.get_by_role("row", name=re.compile(r"^Classification \*"))
    ).to_contain_text(str(version.rows_loaded))
    problems = page.get_by_role("heading", name=re.compile(r"Lignes en anomalie"))
    assert number_in(problems.inner_text()) > 0
    expect(
        page.locator("table", has=page.get_by_role("columnheader", name="Problèmes"))
    ).to_be_visible()
    full_screenshot(page, "datasets-report")

    # A rule's link filters the problem rows on that rule.
    atc_row = rules.get_by_role("row").filter(has_text="INVALID_ATC")
    atc_count = number_in(atc_row.get_by_role("cell").nth(2).inner_text())
    atc_row.get_by_role("link", name="Code ATC mal formé").click()
    page.wait_for_url(re.compile(r".*\?code=INVALID_ATC#problems$"))
    expect(problems).to_have_text(f"Lignes en anomalie ({atc_count})")
    expect(page.get_by_label("Règle", exact=True)).to_have_value("INVALID_ATC")

    # The workbook for the producer.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Télécharger le rapport (XLSX)").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    workbook_path = tmp_path / download.suggested_filename
    download.save_as(workbook_path)
    book = openpyxl.load_workbook(workbook_path, read_only=True)
    assert book.sheetnames == ["Synthèse", "Problèmes", "Complétude"]
    assert sum(1 for _ in book["Problèmes"].iter_rows()) > atc_count
    book.close()

    # 4. Match review queue: accept a candidate for every identical label.
    page.get_by_role("link", name="File de revue des appariements").click()
    page.wait_for_url(f"{base}/admin/donnees/version/{version.pk}/appariement/")
    queue = page.get_by_role("heading", name=re.compile(r"à revoir \(\d+\)"))
    before = number_in(queue.inner_text())
    item = page.locator(
        "section.datamed-review-item",
        has=page.get_by_role("button", name=ACCEPT_ALL),
    ).first
    title = item.get_by_role("heading").inner_text()
    label = title.strip().removeprefix("«").removesuffix("»").strip()
    counts = item.get_by_text(re.compile(r"\d+ lignes? \(")).inner_text()
    rows = int(counts.split()[0])  # "7 lignes (première : ligne 873) — …"
    cis = item.locator("tbody tr").first.locator("code").inner_text()
    item.get_by_role("button", name=ACCEPT_ALL).first.click()
    wait_for_message(page, "Décision enregistrée")
    updated = "ligne mise à jour" if rows == 1 else "lignes mises à jour"
    expect(page.locator(".messages")).to_contain_text(
        f"Décision enregistrée pour « {label} » : {rows} {updated}."
    )
    expect(queue).to_have_text(re.compile(rf"à revoir \({before - 1}\)"))
    expect(page.get_by_role("heading", name=title, exact=True)).to_have_count(0)
    decided = ShortageRecord.objects.filter(version=version, product_name=label)
    assert set(decided.values_list("matched_cis", flat=True)) == {cis}
    full_screenshot(page, "datasets-review")

    page.get_by_role(
        "searchbox", name="Chercher une spécialité (nom, CIS ou CIP13)"
    ).fill(cis)
    page.get_by_role("button", name="Rechercher").click()
    page.wait_for_url(re.compile(rf".*\?q={cis}$"))
    found = page.locator(
        "table", has=page.get_by_role("columnheader", name="Spécialité")
    )
    expect(found.get_by_role("cell", name=cis, exact=True)).to_be_visible()

    # 5. Changes: nothing published nor cleaned before, so every row is new.
    page.goto(f"{base}{version_path}")
    page.get_by_role("link", name=re.compile(r"^(Écarts|Changements)$")).click()
    page.wait_for_url(f"{base}/admin/donnees/version/{version.pk}/ecarts/")
    expect(page.get_by_role("heading", name="Changements – Version 1")).to_be_visible()
    expect(page.locator(".datamed-card").first).to_have_text(
        re.compile(rf"{version.rows_loaded}\s*lignes ajoutées")
    )
    full_screenshot(page, "datasets-diff")

    # 6. The same bytes again: the existing upload, with a warning.
    upload(page, base, DISPOMED)
    page.wait_for_url(f"{base}{upload_path}")
    wait_for_message(page, "déjà été déposé")
    full_screenshot(page, "datasets-upload-again")
    assert Upload.objects.count() == 1

    # 7. An image renamed .csv is refused, in French, on the form.
    disguised = tmp_path / "ruptures.csv"
    disguised.write_bytes(PNG_BYTES)
    upload(page, base, disguised)
    expect(
        page.get_by_text(
            "ruptures.csv n'est ni un fichier CSV, ni un classeur Excel (.xlsx), "
            "ni une liste JSON"
        )
    ).to_be_visible()
    assert page.url == f"{base}/admin/donnees/deposer/"
    full_screenshot(page, "datasets-upload-refused")
    assert Upload.objects.count() == 1

    # A reviewer of the Inspection reads the report but decides nothing.
    reviewer = open_as("relecteur.inspection")
    reviewer.goto(f"{base}/admin/donnees/version/{version.pk}/appariement/")
    expect(
        reviewer.get_by_role("heading", name=re.compile(r"à revoir \(\d+\)"))
    ).to_be_visible()
    expect(reviewer.get_by_role("button", name=ACCEPT_ALL)).to_have_count(0)

    # 8. Another directorate neither opens nor lists the Inspection's upload.
    other = open_as("declarant.surveillance")
    response = other.goto(f"{base}{upload_path}")
    assert response.status == 404 or (
        other.url == f"{base}/admin/"
        and "vous n'avez pas les autorisations" in other.content()
    )
    expect(other.get_by_text(DISPOMED.name)).to_have_count(0)
    other.goto(f"{base}/admin/donnees/depots/")
    expect(other.get_by_role("heading", name="Dépôts")).to_be_visible()
    expect(other.get_by_text(DISPOMED.name)).to_have_count(0)

    # 9. The Data Office sees every family's lists.
    office = open_as("gestionnaire.dataoffice")
    office.goto(f"{base}/admin/donnees/depots/")
    expect(office.get_by_role("link", name=DISPOMED.name)).to_be_visible()
    full_screenshot(office, "datasets-uploads")
    office.goto(f"{base}/admin/donnees/versions/")
    expect(office.get_by_role("link", name="Version 1")).to_be_visible()
    full_screenshot(office, "datasets-versions")
    office.goto(f"{base}/admin/donnees/profils/")
    expect(office.get_by_text("BDPM – CIS_CIP_Dispo_Spec")).to_be_visible()
    expect(office.get_by_text("dispomed_big_table_for_import")).to_be_visible()
    full_screenshot(office, "datasets-profiles")


def test_the_headerless_bdpm_availability_file_is_cleaned_with_its_profile(
    live_server: Any, demo: None, open_as: Callable[[str], Any]
) -> None:
    base = live_server.url
    page = open_as("declarant.inspection")
    upload(page, base, BDPM_AVAILABILITY)
    page.wait_for_url(UPLOAD_URL)
    expect(fact(page, "Statut")).to_have_text("Analysé")
    expect(fact(page, "Séparateur")).to_have_text("Tabulation")
    expect(fact(page, "Ligne d'en-tête")).to_have_text("aucune (colonnes numérotées)")
    expect(page.get_by_role("heading", name="Colonnes (8)")).to_be_visible()
    # Latin-1 read as such: the accents of the classification are intact.
    expect(page.get_by_text("Remise à disposition").first).to_be_visible()

    page.get_by_role("link", name="Vérifier la correspondance et nettoyer").click()
    page.wait_for_url(re.compile(r".*/correspondance/$"))
    chooser = page.get_by_label("Partir d'un profil enregistré")
    option = chooser.locator("option", has_text="BDPM – CIS_CIP_Dispo_Spec")
    chooser.select_option(option.get_attribute("value"))
    page.get_by_role("button", name="Charger", exact=True).click()
    page.wait_for_url(re.compile(r".*/correspondance/\?profile=\d+$"))
    for field, column in {
        "Code CIS": "Colonne 1",
        "Code CIP13": "Colonne 2",
        "Classification": "Colonne 4",
        "Date de début": "Colonne 5",
    }.items():
        select = page.get_by_role("combobox", name=re.compile(rf"^{field}\b"))
        expect(select).to_have_value(column)
    expect(page.get_by_label("Format de date – Date de début")).to_have_value(
        "%d/%m/%Y"
    )
    page.get_by_role("button", name="Enregistrer la correspondance et nettoyer").click()

    page.wait_for_url(VERSION_URL)
    version = DatasetVersion.objects.get()
    assert version.status == DatasetVersion.Status.DRAFT
    assert version.mapping.name == "BDPM – CIS_CIP_Dispo_Spec"
    expect(page.locator(".datamed-card").first).to_have_text(
        re.compile(rf"{version.rows_read}\s*lignes lues")
    )
    assert version.rows_read == sum(1 for _ in BDPM_AVAILABILITY.open("rb"))
    assert version.rows_loaded > 0
    full_screenshot(page, "datasets-report-bdpm")
