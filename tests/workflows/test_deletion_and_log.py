"""Deletion, visibility, the log (append-only, no edit screen, site history) and
Wagtail's own screens and bulk actions around versions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from wagtail.models import ModelLogEntry

from backoffice.exceptions import InvalidTransition
from datasets import services
from datasets.models import DatasetVersion, FamilyWorkflow, ShortageRecord
from tests.factories.clients import login
from tests.factories.datasets import DatasetVersionFactory
from tests.factories.extracts import MATCHED_ROWS, ingest

pytestmark = pytest.mark.django_db


# -- Deletion, visibility, the log ---------------------------------------------


def test_a_version_under_review_cannot_be_deleted(
    in_review: DatasetVersion, team: dict[str, Any]
) -> None:
    declarant = team["inspection_declarant"]
    with pytest.raises(InvalidTransition):
        services.version_delete(version=in_review, user=declarant)
    delete = reverse(
        "wagtailsnippets_datasets_datasetversion:delete", args=[in_review.pk]
    )
    client = login(declarant)
    # Wagtail turns the refusal into a redirect to the dashboard with a message.
    assert client.get(delete).status_code == 302
    assert client.post(delete).status_code == 302
    assert DatasetVersion.objects.filter(pk=in_review.pk).exists()


def test_a_draft_never_submitted_is_deleted_with_its_records(
    tmp_path: Path, media: Path, small_referential: None, team: dict[str, Any]
) -> None:
    declarant = team["inspection_declarant"]
    version = ingest(tmp_path, MATCHED_ROWS, declarant)
    assert ShortageRecord.objects.filter(version=version).count() == 2
    delete = reverse(
        "wagtailsnippets_datasets_datasetversion:delete", args=[version.pk]
    )
    response = login(declarant).post(delete)
    assert response.status_code == 302
    assert not DatasetVersion.objects.filter(pk=version.pk).exists()
    assert not ShortageRecord.objects.filter(version_id=version.pk).exists()


def test_an_outsider_cannot_see_another_directorates_versions(
    in_review: DatasetVersion, team: dict[str, Any]
) -> None:
    for persona in ("surveillance_declarant", "surveillance_reviewer"):
        client = login(team[persona])
        for name in ("edit", "history", "workflow_history"):
            url = reverse(
                f"wagtailsnippets_datasets_datasetversion:{name}", args=[in_review.pk]
            )
            assert client.get(url).status_code == 404, (persona, name)
        assert (
            client.get(reverse("datasets_version", args=[in_review.pk])).status_code
            == 404
        )
        listing = client.get(reverse("wagtailsnippets_datasets_datasetversion:list"))
        assert str(in_review.upload) not in listing.content.decode()
    client = login(team["outsider"])
    assert client.get(reverse("datasets_version", args=[in_review.pk])).status_code in (
        302,
        403,
        404,
    )


def test_log_entries_have_no_edit_or_delete_screen(team: dict[str, Any]) -> None:
    from wagtail.admin.viewsets import viewsets

    registered = [getattr(v, "model", None) for v in viewsets.viewsets]
    assert ModelLogEntry not in registered
    # No role may change or delete log entries, whatever the screens.
    for persona in ("data_office", "inspection_declarant", "inspection_reviewer"):
        user = team[persona]
        assert not user.has_perm("wagtailcore.change_modellogentry")
        assert not user.has_perm("wagtailcore.delete_modellogentry")


def test_log_entries_are_append_only(in_review: DatasetVersion) -> None:
    entry = ModelLogEntry.objects.filter(object_id=str(in_review.pk)).first()
    assert entry is not None
    entry.label = "falsifié"
    with pytest.raises(PermissionDenied), transaction.atomic():
        entry.save()
    with pytest.raises(PermissionDenied), transaction.atomic():
        entry.delete()
    assert ModelLogEntry.objects.get(pk=entry.pk).label != "falsifié"


def test_the_site_history_lists_filters_and_exports_the_review(
    in_review: DatasetVersion, team: dict[str, Any]
) -> None:
    client = login(team["data_office"])
    url = reverse("wagtailadmin_reports:site_history_results")
    html = client.get(url).content.decode()
    assert "Validation – Ruptures de stock" in html
    assert "Contrôle qualité automatique" in html
    filtered = client.get(url, {"action": "wagtail.workflow.approve"}).content.decode()
    assert "Contrôle qualité automatique" in filtered
    assert "a été commencé" not in filtered
    export = client.get(reverse("wagtailadmin_reports:site_history"), {"export": "csv"})
    assert export.status_code == 200
    content = b"".join(export.streaming_content)
    assert str(in_review).encode() in content
    assert "approuver la tâche".encode() in content


def test_nobody_publishes_from_wagtails_editor(team: dict[str, Any]) -> None:
    """The "publish" action of the editor is refused, even to administrators: only
    the last approval publishes."""
    version = DatasetVersionFactory.create(
        upload__uploaded_by=team["inspection_declarant"]
    )
    edit = reverse("wagtailsnippets_datasets_datasetversion:edit", args=[version.pk])
    for persona in ("data_office", "administrator"):
        client = login(team[persona])
        assert "action-publish" not in client.get(edit).content.decode()
        client.post(edit, {"note": "publiée sans relecture ?", "action-publish": "1"})
        assert DatasetVersion.objects.get(pk=version.pk).live is False


def test_only_an_administrator_edits_the_workflows_in_wagtails_admin(
    team: dict[str, Any],
) -> None:
    workflow = FamilyWorkflow.workflow_for("shortages")
    edit_url = reverse("wagtailadmin_workflows:edit", args=[workflow.pk])
    office = login(team["data_office"])
    assert office.get(reverse("wagtailadmin_workflows:index")).status_code in (302, 403)
    assert office.get(edit_url).status_code in (302, 403)
    assert office.post(edit_url, {"name": "x"}).status_code in (302, 403)
    admin = login(team["administrator"])
    listing = admin.get(reverse("wagtailadmin_workflows:index"))
    assert listing.status_code == 200
    assert "Validation – Ruptures de stock" in listing.content.decode()
    edit = admin.get(edit_url)
    assert edit.status_code == 200
    assert "Relecture – Inspection" in edit.content.decode()


def test_the_disclosure_preview_suppresses_small_counts_of_aggregate_families(
    tmp_path: Path, media: Path, small_referential: None, team: dict[str, Any]
) -> None:
    """Declared as aggregates only, the shortage family would publish counts per
    year and classification: those under the threshold are shown suppressed."""
    import dataclasses

    from datasets.families import FAMILIES
    from workflows.selectors import disclosure_preview

    version = ingest(tmp_path, MATCHED_ROWS, team["inspection_declarant"])
    row_level = disclosure_preview(version)
    assert row_level.row_level and row_level.rows == 2 and not row_level.tables
    original = FAMILIES["shortages"]
    FAMILIES["shortages"] = dataclasses.replace(original, row_level=False)
    try:
        preview = disclosure_preview(version)
    finally:
        FAMILIES["shortages"] = original
    by_label = {str(t.label): t for t in preview.tables}
    per_class = by_label["Déclarations par classification"]
    assert per_class.cells == 2 and per_class.suppressed == 2
    assert all(hidden for _label, _count, hidden in per_class.rows)


def test_the_bulk_delete_action_spares_a_version_under_review(
    in_review: DatasetVersion, team: dict[str, Any]
) -> None:
    draft = DatasetVersionFactory.create(
        upload__uploaded_by=team["inspection_declarant"]
    )
    url = reverse("wagtail_bulk_action", args=["datasets", "datasetversion", "delete"])
    client = login(team["inspection_declarant"])
    response = client.post(f"{url}?id={in_review.pk}&id={draft.pk}&next=/admin/")
    assert response.status_code == 302
    assert DatasetVersion.objects.filter(pk=in_review.pk).exists()
    # The same action does delete a draft never submitted (the control), through
    # the service: its deletion is in the audit trail.
    assert not DatasetVersion.objects.filter(pk=draft.pk).exists()
    deleted = ModelLogEntry.objects.filter(
        action="wagtail.delete", object_id=str(draft.pk)
    )
    assert [e.user_id for e in deleted] == [team["inspection_declarant"].pk]
