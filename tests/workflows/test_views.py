"""The review screen, its actions and the dashboard panels, through the web client."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from datasets import services
from datasets.models import DatasetVersion
from tests.datasets.conftest import HEADER, write_csv
from tests.factories.clients import login
from tests.factories.datasets import DatasetVersionFactory
from tests.factories.extracts import MATCHED_ROWS, step
from workflows import services as review

pytestmark = pytest.mark.django_db


def page(client: Any, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_the_declarant_submits_and_the_reviewers_decide_on_the_review_screen(
    tmp_path: Path, media: Path, small_referential: None, team: dict[str, Any]
) -> None:
    declarant = team["inspection_declarant"]
    version = services.extract_ingest(
        path=write_csv(tmp_path / "a.csv", HEADER + MATCHED_ROWS),
        family="shortages",
        user=declarant,
    )
    url = reverse("workflows_review", args=[version.pk])
    client = login(declarant)
    html = page(client, url)
    assert "Soumettre à la validation" in html
    assert "Ce que la publication montrera" in html
    assert (
        "aucun effectif n’est masqué" in html or "aucun effectif n'est masqué" in html
    )

    response = client.post(
        reverse("workflows_submit", args=[version.pk]), {"note": "Extrait de novembre"}
    )
    assert response.status_code == 302
    assert step(version) == "in_progress:Relecture – Inspection"
    html = page(client, url)
    assert "Extrait de novembre" in html
    assert "Approuver" not in html  # the declarant cannot decide
    assert "En relecture à l’étape « Relecture – Inspection »" in html

    reviewer = login(team["inspection_reviewer"])
    dashboard = page(reviewer, reverse("wagtailadmin_home"))
    assert "En attente de ma relecture" in dashboard and url in dashboard
    html = page(reviewer, url)
    assert "Demander des modifications" in html
    # A request for changes without a comment is refused with a French message.
    response = reviewer.post(
        reverse("workflows_decide", args=[version.pk]), {"action": "reject"}
    )
    assert step(version) == "in_progress:Relecture – Inspection"
    assert response.status_code == 400
    assert "un commentaire est obligatoire" in response.content.decode()
    reviewer.post(
        reverse("workflows_decide", args=[version.pk]),
        {"action": "reject", "comment": "Ajoutez la cause des ruptures."},
    )
    assert step(version) == "needs_changes:Relecture – Inspection"

    html = page(client, url)
    assert "Ajoutez la cause des ruptures." in html
    assert "Reprendre la validation" in html
    mine = page(client, reverse("wagtailadmin_home"))
    assert "Mes versions" in mine and "Modifications demandées" in mine
    client.post(reverse("workflows_submit", args=[version.pk]))
    assert step(version) == "in_progress:Relecture – Inspection"
    reviewer.post(reverse("workflows_decide", args=[version.pk]), {"action": "approve"})
    manager = login(team["data_office"])
    assert "Approuver et publier" in page(manager, url)
    manager.post(reverse("workflows_decide", args=[version.pk]), {"action": "approve"})
    assert DatasetVersion.objects.get(pk=version.pk).live
    assert "Publiée" in page(client, url)


def test_a_preparer_in_the_reviewers_group_is_told_why_they_cannot_decide(
    team: dict[str, Any],
) -> None:
    uploader = team["inspection_reviewer"]
    version = DatasetVersionFactory.create(upload__uploaded_by=uploader)
    declarant = team["inspection_declarant"]
    review.version_submit(version=version, user=declarant)
    html = page(login(uploader), reverse("workflows_review", args=[version.pk]))
    assert "une autre personne" in html or "un autre membre" in html
    assert "Demander des modifications" not in html
    assert reverse("workflows_review", args=[version.pk]) not in page(
        login(uploader), reverse("wagtailadmin_home")
    )


def test_the_cleaned_data_download_neutralises_formulas(
    tmp_path: Path, media: Path, small_referential: None, team: dict[str, Any]
) -> None:
    rows = MATCHED_ROWS + "21-9;ouvert;Rupture de stock;05/02/2024;;=HYPERLINK(1)\n"
    version = services.extract_ingest(
        path=write_csv(tmp_path / "a.csv", HEADER + rows),
        family="shortages",
        user=team["inspection_declarant"],
    )
    response = login(team["inspection_reviewer"]).get(
        reverse("datasets_version_csv", args=[version.pk])
    )
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert table[0][0] == "Numéro de déclaration"
    assert len(table) == 1 + version.rows_loaded
    assert "'=HYPERLINK(1)" in text and ";=HYPERLINK" not in text


def test_a_version_sent_back_is_cleaned_again_with_another_upload(
    tmp_path: Path,
    media: Path,
    small_referential: None,
    team: dict[str, Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    declarant = team["inspection_declarant"]
    bad = HEADER + MATCHED_ROWS + "21-5;ouvert;;03/02/2024;3400935955838;\n"
    version = services.extract_ingest(
        path=write_csv(tmp_path / "a.csv", bad), family="shortages", user=declarant
    )
    assert version.blocking_issues == 1
    state = review.version_submit(version=version, user=declarant)
    assert state.status == "needs_changes"  # the gate refuses the blocking issue
    fixed = services.extract_ingest(
        path=write_csv(tmp_path / "b.csv", HEADER + MATCHED_ROWS),
        family="shortages",
        user=declarant,
    )
    client = login(declarant)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("datasets_version_reclean", args=[version.pk]),
            {"upload": fixed.upload_id, "mapping": fixed.mapping_id},
        )
    version.refresh_from_db()
    assert version.upload_id == fixed.upload_id and version.blocking_issues == 0
    assert version.get_latest_revision().user == declarant
    client.post(reverse("workflows_submit", args=[version.pk]))
    assert step(version) == "in_progress:Relecture – Inspection"


def test_the_withdraw_button_returns_the_version_to_draft(
    team: dict[str, Any],
) -> None:
    declarant = team["inspection_declarant"]
    version = DatasetVersionFactory.create(upload__uploaded_by=declarant)
    review.version_submit(version=version, user=declarant)
    client = login(declarant)
    assert "Retirer de la validation" in page(
        client, reverse("workflows_review", args=[version.pk])
    )
    client.post(reverse("workflows_cancel", args=[version.pk]))
    assert step(version) == ""


def test_the_data_office_chooses_the_publication_date_when_approving(
    team: dict[str, Any],
) -> None:
    declarant = team["inspection_declarant"]
    version = DatasetVersionFactory.create(upload__uploaded_by=declarant)
    review.version_submit(version=version, user=declarant)
    review.version_decide(
        version=version, user=team["inspection_reviewer"], action="approve"
    )
    client = login(team["data_office"])
    url = reverse("workflows_decide", args=[version.pk])
    past = client.post(url, {"action": "approve", "publish_at": "2020-01-01T10:00"})
    assert past.status_code == 400
    assert "dans le futur" in past.content.decode()
    assert step(version) == "in_progress:Approbation – Data Office"
    client.post(url, {"action": "approve", "publish_at": "2099-03-01T10:00"})
    version.refresh_from_db()
    assert version.live is False
    assert version.scheduled_revision is not None
    html = page(client, reverse("workflows_review", args=[version.pk]))
    assert "Approuvée, publication programmée" in html and "2099" in html
