"""The review of dataset versions in headless Chromium, with the demo accounts.

A declarant of the Inspection uploads the real Dispomed extract and submits it:
the automatic quality gate sends it back with its reasons. A small clean extract
of real CIP13 codes passes the gate and waits for the Inspection's reviewer, who
first forgets the comment, then requests changes; the declarant reads the comment
and resumes; the reviewer approves, then the Data Office approves the last step,
which publishes the version. Another directorate gets a 404 on the review screen.
Screenshots land in var/e2e-screenshots/review-*.png."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from datasets.models import DatasetVersion
from referential_admin.models import Presentation
from tests.datasets.conftest import HEADER
from tests.e2e.pages import (
    DISPOMED,
    UPLOAD_URL,
    VERSION_URL,
    full_screenshot,
    number_in,
    upload,
    wait_for_message,
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

REVIEW_URL = re.compile(r".*/admin/validation/version/(\d+)/$")
GATE = "Contrôle qualité automatique"
INSPECTION_REVIEW = "Relecture – Inspection"
DATA_OFFICE_APPROVAL = "Approbation – Data Office"
SUBMIT = "Soumettre à la validation"
REQUEST_CHANGES = "Demander des modifications"
RESUME = "Reprendre la validation"
REVIEWER_COMMENT = "Ajoutez la cause des ruptures dans la colonne « Etat »."


def upload_and_clean(page: Any, base: str, path: Path) -> DatasetVersion:
    """Upload, confirm the reading and the suggested mapping, land on the report."""
    upload(page, base, path)
    page.wait_for_url(UPLOAD_URL)
    upload_pk = number_in(page.url)
    page.get_by_role("link", name="Vérifier la correspondance et nettoyer").click()
    page.wait_for_url(f"{base}/admin/donnees/depot/{upload_pk}/correspondance/")
    page.get_by_role("button", name="Enregistrer la correspondance et nettoyer").click()
    page.wait_for_url(VERSION_URL)
    version = DatasetVersion.objects.get(upload_id=upload_pk)
    assert version.status == DatasetVersion.Status.DRAFT
    return version


def submit_from_report(
    page: Any, base: str, version: DatasetVersion, note: str
) -> None:
    """From the quality report, open the review screen and submit with a note."""
    page.get_by_role("link", name=SUBMIT).click()
    page.wait_for_url(f"{base}/admin/validation/version/{version.pk}/")
    page.get_by_label("Note pour les relecteurs").fill(note)
    page.get_by_role("button", name=SUBMIT).click()
    page.wait_for_url(f"{base}/admin/validation/version/{version.pk}/")


def status(page: Any) -> Any:
    return page.locator("#review-status")


def decisions(page: Any) -> Any:
    return page.locator(
        "table", has=page.get_by_role("columnheader", name="Commentaire")
    ).filter(has=page.get_by_role("columnheader", name="Étape"))


def clean_extract(tmp_path: Path) -> Path:
    """Three declarations of real CIP13 codes of the demo referential."""
    codes = list(
        Presentation.objects.order_by("cip13").values_list("cip13", flat=True)[:3]
    )
    assert len(codes) == 3
    rows = [
        f"24-{i};ouvert;Rupture de stock;0{i}/02/2024;{code};\n"
        for i, code in enumerate(codes, start=1)
    ]
    path = tmp_path / "ruptures_propres.csv"
    path.write_bytes((HEADER + "".join(rows)).encode())
    return path


def test_a_version_goes_through_the_gate_the_reviewers_and_is_published(
    live_server: Any,
    demo: None,
    open_as: Callable[[str], Any],
    tmp_path: Path,
) -> None:
    base = live_server.url
    declarant = open_as("declarant.inspection")

    # 1. The real Dispomed extract: the quality gate sends it back.
    rejected = upload_and_clean(declarant, base, DISPOMED)
    expect(declarant.get_by_role("link", name=SUBMIT)).to_be_visible()
    full_screenshot(declarant, "review-01-report-dispomed")
    declarant.get_by_role("link", name=SUBMIT).click()
    declarant.wait_for_url(REVIEW_URL)
    expect(status(declarant)).to_contain_text("Brouillon, non soumis")
    from datasets.models import FamilyWorkflow

    assert FamilyWorkflow.workflow_for("shortages") is not None, list(
        FamilyWorkflow.objects.values_list("family", "workflow__active")
    )
    # Before submitting, the screen warns that the gate will send it back.
    expect(
        declarant.get_by_text("le contrôle qualité automatique renverra")
    ).to_be_visible()
    full_screenshot(declarant, "review-02-draft-dispomed")
    declarant.go_back()
    submit_from_report(
        declarant, base, rejected, "Extrait Dispomed complet, première livraison."
    )
    wait_for_message(declarant, "contrôle qualité automatique")
    expect(status(declarant)).to_contain_text("Modifications demandées")
    gate_row = decisions(declarant).get_by_role("row").filter(has_text=GATE)
    expect(gate_row).to_contain_text("problèmes bloquants")
    expect(gate_row).to_contain_text("médicament non apparié")
    # The reasons are also quoted in the status box, above the resume button.
    expect(declarant.locator(".datamed-request")).to_contain_text(GATE)
    expect(declarant.get_by_role("button", name=RESUME)).to_be_visible()
    full_screenshot(declarant, "review-03-gate-sent-back")

    # 2. A small clean extract passes the gate and waits for the reviewers.
    version = upload_and_clean(declarant, base, clean_extract(tmp_path))
    assert version.rows_loaded == 3
    assert version.blocking_issues == 0
    full_screenshot(declarant, "review-04-report-clean")
    submit_from_report(
        declarant, base, version, "Trois déclarations de février, toutes appariées."
    )
    wait_for_message(declarant, "Version soumise")
    expect(status(declarant)).to_contain_text(
        f"En relecture à l’étape « {INSPECTION_REVIEW} »"
    )
    expect(declarant.get_by_text("Trois déclarations de février")).to_be_visible()
    expect(declarant.get_by_role("button", name=re.compile("Approuver"))).to_have_count(
        0
    )
    expect(declarant.get_by_role("button", name=REQUEST_CHANGES)).to_have_count(0)
    full_screenshot(declarant, "review-05-submitted")
    review_path = f"/admin/validation/version/{version.pk}/"

    # 3. The Inspection's reviewer finds it on the dashboard.
    reviewer = open_as("relecteur.inspection")
    awaiting = reviewer.locator("#datamed-awaiting-review-section")
    expect(awaiting.get_by_role("heading")).to_have_text("En attente de ma relecture")
    link = awaiting.locator(f'a[href="{review_path}"]')
    expect(link).to_be_visible()
    to_review = reviewer.locator(f'a[href="{review_path}"]')
    expect(awaiting.get_by_role("row").filter(has=to_review)).to_contain_text(
        INSPECTION_REVIEW
    )
    full_screenshot(reviewer, "review-06-reviewer-dashboard")
    link.click()
    reviewer.wait_for_url(f"{base}{review_path}")
    expect(
        reviewer.get_by_role(
            "button", name=f"Approuver l’étape « {INSPECTION_REVIEW} »"
        )
    ).to_be_visible()
    full_screenshot(reviewer, "review-07-reviewer-screen")

    # An empty comment: the server refuses it in French, on the same screen.
    reviewer.get_by_role("button", name=REQUEST_CHANGES).click()
    reviewer.wait_for_load_state()
    expect(reviewer.locator("#decide-error")).to_contain_text(
        "commentaire est obligatoire"
    )
    assert version.current_workflow_state.current_task_state.status == "in_progress"
    expect(status(reviewer)).to_contain_text(
        f"En relecture à l’étape « {INSPECTION_REVIEW} »"
    )
    full_screenshot(reviewer, "review-08-empty-comment-refused")

    reviewer.locator("#id_comment").fill(REVIEWER_COMMENT)
    reviewer.get_by_role("button", name=REQUEST_CHANGES).click()
    wait_for_message(reviewer, "Modifications demandées")
    expect(status(reviewer)).to_contain_text("Modifications demandées")
    full_screenshot(reviewer, "review-09-changes-requested")

    # 4. The declarant reads the comment, on the dashboard and the review screen.
    declarant.goto(f"{base}/admin/")
    mine = declarant.locator("#datamed-my-versions-section")
    expect(mine.get_by_role("heading")).to_have_text("Mes versions")
    mine_row = mine.get_by_role("row").filter(
        has=declarant.locator(f'a[href="{review_path}"]')
    )
    expect(mine_row).to_contain_text("Modifications demandées")
    expect(mine_row).to_contain_text(REVIEWER_COMMENT)
    full_screenshot(declarant, "review-10-declarant-dashboard")
    mine_row.get_by_role("link").first.click()
    declarant.wait_for_url(f"{base}{review_path}")
    expect(
        decisions(declarant).get_by_role("row").filter(has_text=INSPECTION_REVIEW)
    ).to_contain_text(REVIEWER_COMMENT)
    expect(declarant.locator(".datamed-request")).to_contain_text(REVIEWER_COMMENT)
    full_screenshot(declarant, "review-11-declarant-reads-comment")
    declarant.get_by_role("button", name=RESUME).click()
    declarant.wait_for_url(f"{base}{review_path}")
    expect(status(declarant)).to_contain_text(
        f"En relecture à l’étape « {INSPECTION_REVIEW} »"
    )
    full_screenshot(declarant, "review-12-resumed")

    # 5. The reviewer approves, then the Data Office approves and publishes.
    reviewer.goto(f"{base}{review_path}")
    reviewer.get_by_role(
        "button", name=f"Approuver l’étape « {INSPECTION_REVIEW} »"
    ).click()
    wait_for_message(reviewer, "Étape approuvée")
    expect(status(reviewer)).to_contain_text(
        f"En relecture à l’étape « {DATA_OFFICE_APPROVAL} »"
    )
    full_screenshot(reviewer, "review-13-reviewer-approved")

    office = open_as("gestionnaire.dataoffice")
    office_link = office.locator("#datamed-awaiting-review-section").locator(
        f'a[href="{review_path}"]'
    )
    expect(office_link).to_be_visible()
    full_screenshot(office, "review-14-office-dashboard")
    office_link.click()
    office.wait_for_url(f"{base}{review_path}")
    full_screenshot(office, "review-15-office-screen")
    office.get_by_role("button", name="Approuver et publier").click()
    wait_for_message(office, "la version est publiée")
    expect(status(office)).to_contain_text("Publiée")
    full_screenshot(office, "review-16-published")
    version.refresh_from_db()
    assert version.live is True
    rejected.refresh_from_db()
    assert rejected.live is False

    # 6. Another directorate does not even see that the version exists.
    other = open_as("declarant.surveillance")
    response = other.goto(f"{base}{review_path}")
    assert response is not None and response.status == 404
    full_screenshot(other, "review-17-other-directorate-404")
