"""The jobs screen: who sees which runs, live status, cancel, retry, self-check."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.urls import reverse

from tasks.models import JobRun
from tests.factories.tasks import JobRunFactory

Status = JobRun.Status


def _login(client: Client, user: Any) -> Client:
    client.force_login(user)
    return client


def test_declarants_see_their_own_and_their_family_runs_only(
    client: Client, personas: dict[str, Any]
) -> None:
    mine = JobRunFactory.create(
        created_by=personas["inspection_declarant"], target_label="A1"
    )
    family = JobRunFactory.create(family="shortages", target_label="B2")
    other = JobRunFactory.create(family="pharmacovigilance", target_label="C3")
    _login(client, personas["inspection_declarant"])
    content = client.get(reverse("jobs:index")).content.decode()
    assert "A1" in content and "B2" in content and "C3" not in content
    assert client.get(reverse("jobs:inspect", args=[other.pk])).status_code == 404
    assert client.get(reverse("jobs:inspect", args=[mine.pk])).status_code == 200
    assert client.get(reverse("jobs:inspect", args=[family.pk])).status_code == 200
    _login(client, personas["data_office"])
    content = client.get(reverse("jobs:index")).content.decode()
    assert "C3" in content


def test_filters_by_status_and_kind(client: Client, personas: dict[str, Any]) -> None:
    JobRunFactory.create(status=Status.FAILED, target_label="failed-one")
    JobRunFactory.create(status=Status.DONE, target_label="done-one")
    _login(client, personas["data_office"])
    content = client.get(reverse("jobs:index"), {"status": "failed"}).content.decode()
    assert "failed-one" in content and "done-one" not in content
    content = client.get(
        reverse("jobs:index"), {"kind": "platform.selfcheck"}
    ).content.decode()
    assert "failed-one" in content and "done-one" in content


def test_progress_appears_in_the_admin(
    client: Client, personas: dict[str, Any]
) -> None:
    run = JobRunFactory.create(
        status=Status.RUNNING,
        progress_done=40,
        progress_total=100,
        stage="Validation des lignes",
    )
    _login(client, personas["data_office"])
    page = client.get(reverse("jobs:inspect", args=[run.pk])).content.decode()
    assert 'value="40"' in page and "Validation des lignes" in page
    home = client.get(reverse("wagtailadmin_home")).content.decode()
    assert f'data-job-id="{run.pk}"' in home
    JobRun.objects.filter(pk=run.pk).update(progress_done=70)
    data = client.get(reverse("jobs:status"), {"ids": str(run.pk)}).json()
    assert data["runs"][str(run.pk)]["percent"] == 70
    assert data["runs"][str(run.pk)]["active"] is True


def test_status_endpoint_hides_runs_the_user_cannot_see(
    client: Client, personas: dict[str, Any]
) -> None:
    hidden = JobRunFactory.create(family="pharmacovigilance")
    _login(client, personas["inspection_declarant"])
    data = client.get(reverse("jobs:status"), {"ids": str(hidden.pk)}).json()
    assert data["runs"] == {}


def test_cancel_and_retry_are_reserved_to_owners_and_managers(
    client: Client, personas: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    run = JobRunFactory.create(family="shortages", created_by=personas["data_office"])
    _login(client, personas["inspection_reviewer"])
    refused = client.post(reverse("jobs:cancel", args=[run.pk]))
    # Wagtail's admin turns PermissionDenied into a redirect home with a message.
    assert refused.status_code in (302, 403)
    assert refused.get("Location", "/admin/") == "/admin/"
    run.refresh_from_db()
    assert run.status == Status.PENDING

    own = JobRunFactory.create(created_by=personas["inspection_declarant"])
    _login(client, personas["inspection_declarant"])
    response = client.post(reverse("jobs:cancel", args=[own.pk]))
    assert response.status_code == 302
    own.refresh_from_db()
    assert own.status == Status.CANCELLED

    _login(client, personas["data_office"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("jobs:retry", args=[own.pk]))
    own.refresh_from_db()
    # Eager mode: the retried run executed at once.
    assert own.status == Status.DONE
    assert own.attempts == 1


def test_cancel_requires_post(client: Client, personas: dict[str, Any]) -> None:
    run = JobRunFactory.create()
    _login(client, personas["data_office"])
    assert client.get(reverse("jobs:cancel", args=[run.pk])).status_code == 405


def test_selfcheck_is_for_managers(
    client: Client, personas: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    _login(client, personas["inspection_declarant"])
    assert client.post(reverse("jobs:selfcheck")).status_code in (302, 403)
    assert not JobRun.objects.exists()
    _login(client, personas["data_office"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("jobs:selfcheck"))
    run = JobRun.objects.get()
    assert response["Location"] == reverse("jobs:inspect", args=[run.pk])
    assert run.status == Status.DONE
    assert run.created_by == personas["data_office"]
