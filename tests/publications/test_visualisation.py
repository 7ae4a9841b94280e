"""Visualisation pages: composed by a Data Office manager from text, charts and
tables of the published data, approved by another one, then public."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from publications.pages import PortalPage, VisualisationPage
from tests.factories.clients import login
from tests.factories.extracts import MATCHED_ROWS, ingest
from tests.factories.reviews import approve
from workflows.models import FourEyesRefused

pytestmark = pytest.mark.django_db


def make_page(author: Any) -> VisualisationPage:
    portal = PortalPage.objects.get()
    page = VisualisationPage(
        title="Les ruptures par classification",
        slug="ruptures-par-classification",
        live=False,
        body=[
            ("text", "<p>Ce que disent les déclarations.</p>"),
            (
                "table",
                {"source": "shortages:per_classification", "title": "Par classe"},
            ),
        ],
    )
    portal.add_child(instance=page)
    page.save_revision(user=author)
    return page


def test_a_visualisation_page_is_approved_by_another_manager_then_public(
    tmp_path: Path, media: Path, small_referential: None, team: dict[str, Any]
) -> None:
    approve(ingest(tmp_path, MATCHED_ROWS, team["inspection_declarant"]), team)
    author, other = team["data_office"], team["data_office_2"]
    page = make_page(author)
    workflow = page.get_workflow()
    assert workflow is not None and workflow.name == "Validation – Pages publiques"
    from django.core import mail

    mail.outbox.clear()
    state = workflow.start(page, author)
    recipients = {address for message in mail.outbox for address in message.to}
    assert other.email in recipients and author.email not in recipients
    task_state = state.current_task_state.specific
    with pytest.raises(FourEyesRefused):
        task_state.approve(user=author)
    task_state = state.current_task_state.specific
    task_state.refresh_from_db()
    task_state.approve(user=other)
    page.refresh_from_db()
    assert page.live
    html = Client().get(page.url).content.decode()
    assert "Les ruptures par classification" in html
    assert "<caption>Déclarations par classification</caption>" in html
    assert "Ce que disent les déclarations." in html


def test_a_visualisation_without_data_says_so(team: dict[str, Any]) -> None:
    page = make_page(team["data_office"])
    page.get_latest_revision().publish(user=None)
    html = Client().get(page.url).content.decode()
    assert "Aucune donnée à afficher en raison d’un effectif trop faible ou nul" in html


def test_the_editor_cannot_publish_a_visualisation_directly(
    team: dict[str, Any],
) -> None:
    page = make_page(team["data_office"])
    client = login(team["data_office"])
    edit = reverse("wagtailadmin_pages:edit", args=[page.pk])
    assert 'name="action-publish"' not in client.get(edit).content.decode()
    _publish_through_editor(client, page)
    page.refresh_from_db()
    assert page.live is False


def test_the_other_manager_finds_the_page_on_the_dashboard_and_approves_it(
    team: dict[str, Any],
) -> None:
    author, other = team["data_office"], team["data_office_2"]
    page = make_page(author)
    page.get_workflow().start(page, author)
    assert (
        page.title
        not in login(author).get(reverse("wagtailadmin_home")).content.decode()
    )
    client = login(other)
    dashboard = client.get(reverse("wagtailadmin_home")).content.decode()
    edit = reverse("wagtailadmin_pages:edit", args=[page.pk])
    assert edit in dashboard
    editor = client.get(edit).content.decode()
    assert "data-workflow-action-url" in editor or "workflow-action" in editor
    task_state = page.current_workflow_task_state
    url = reverse(
        "wagtailadmin_pages:workflow_action", args=[page.pk, "approve", task_state.pk]
    )
    login(author).post(url, {"comment": ""})
    page.refresh_from_db()
    assert page.live is False  # the author cannot approve
    client.post(url, {"comment": ""})
    page.refresh_from_db()
    assert page.live is True


def _publish_through_bulk_action(client: Client, page: VisualisationPage) -> int:
    url = reverse("wagtail_bulk_action", args=["wagtailcore", "page", "publish"])
    return client.post(f"{url}?id={page.pk}&next=/admin/").status_code


def _publish_through_admin_api(client: Client, page: VisualisationPage) -> int:
    url = f"/admin/api/main/pages/{page.pk}/action/publish/"
    return client.post(url, {}, content_type="application/json").status_code


def _publish_through_editor(client: Client, page: VisualisationPage) -> int:
    edit = reverse("wagtailadmin_pages:edit", args=[page.pk])
    data = {
        "title": page.title,
        "slug": page.slug,
        "body-count": "0",
        "comments-TOTAL_FORMS": "0",
        "comments-INITIAL_FORMS": "0",
        "action-publish": "1",
    }
    return client.post(edit, data).status_code


def _publish_through_a_live_copy(client: Client, page: VisualisationPage) -> int:
    page.get_latest_revision().publish(user=None)  # reviewed, then live
    url = reverse("wagtailadmin_pages:copy", args=[page.pk])
    data = {
        "new_title": "Copie",
        "new_slug": "copie",
        "new_parent_page": str(page.get_parent().pk),
        "publish_copies": "on",
    }
    status = client.post(url, data).status_code
    page.refresh_from_db()
    page.unpublish(user=None)  # the original goes back; only the copy is checked
    return status


@pytest.mark.parametrize(
    "path",
    [
        _publish_through_bulk_action,
        _publish_through_admin_api,
        _publish_through_editor,
        _publish_through_a_live_copy,
    ],
)
@pytest.mark.parametrize("who", ["data_office", "administrator"])
def test_no_path_publishes_a_public_page_outside_its_review(
    team: dict[str, Any], personas: dict[str, Any], path: Any, who: str
) -> None:
    page = make_page(team["data_office"])
    status = path(login(personas[who]), page)
    assert status < 500
    page.refresh_from_db()
    assert page.live is False
    # Nothing else under the portal went live either (a copy, an alias).
    assert not VisualisationPage.objects.filter(live=True).exists()
    assert (
        not PortalPage.objects.get()
        .permissions_for_user(personas[who])
        .can_publish_subpage()
    )


def test_documents_are_private_and_served_as_attachments(
    media: Path, personas: dict[str, Any]
) -> None:
    from django.core.files.base import ContentFile
    from wagtail.documents.models import Document

    document = Document.objects.create(
        title="Note", file=ContentFile(b"%PDF-1.4 note interne", name="note.pdf")
    )
    url = document.url
    assert Client().get(url).status_code == 404
    assert login(personas["inspection_declarant"]).get(url).status_code == 404
    response = login(personas["data_office"]).get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content) == b"%PDF-1.4 note interne"
