"""Releases: the last approval publishes a numbered, immutable release; the
switch of the current release is atomic; a rollback is a new release."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from django.db import OperationalError, connection, transaction
from django.urls import reverse
from wagtail.models import ModelLogEntry

from backoffice.exceptions import ApplicationError, InvalidTransition, PermissionRefused
from datasets.models import DatasetVersion
from publications.models import Release
from publications.selectors import live_version
from publications.services import release_publish, release_rollback
from tests.factories.clients import login
from tests.factories.extracts import MATCHED_ROWS, ingest
from tests.factories.reviews import approve
from workflows import services as review

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_releases(
    tmp_path: Path, media: Path, small_referential: None, team: dict[str, Any]
) -> tuple[DatasetVersion, DatasetVersion]:
    first = ingest(tmp_path, MATCHED_ROWS, team["inspection_declarant"])
    approve(first, team)
    changed = MATCHED_ROWS.replace("fermé;Risque", "ouvert;Risque") + (
        "21-7;ouvert;Rupture de stock;07/02/2024;3400935955838;\n"
    )
    second = ingest(tmp_path, changed, team["inspection_declarant"], name="b.csv")
    approve(second, team)
    return first, second


def test_the_last_approval_publishes_numbered_releases_with_their_changes(
    two_releases: tuple[DatasetVersion, DatasetVersion], team: dict[str, Any]
) -> None:
    first, second = two_releases
    releases = list(Release.objects.filter(family="shortages").order_by("number"))
    assert [(r.number, r.version_id, r.is_current) for r in releases] == [
        (1, first.pk, False),
        (2, second.pk, True),
    ]
    one, two = releases
    assert one.changes["added"] == 2 and one.changes["baseline_version"] is None
    assert (two.changes["added"], two.changes["removed"], two.changes["changed"]) == (
        1,
        0,
        1,
    )
    assert ["État", 1] in two.changes["per_column"]
    assert two.replaces == one and two.published_by == team["data_office"]
    assert two.disclosure == {"threshold": 11, "row_level": True, "suppressed": {}}
    assert live_version("shortages") == second
    assert ModelLogEntry.objects.filter(
        action="datamed.release.publication", object_id=str(two.pk)
    ).exists()


def test_a_rollback_publishes_the_previous_release_again_with_a_note(
    two_releases: tuple[DatasetVersion, DatasetVersion], team: dict[str, Any]
) -> None:
    first, _second = two_releases
    with pytest.raises(PermissionRefused):
        release_rollback(family="shortages", user=team["inspection_reviewer"], note="x")
    with pytest.raises(ApplicationError, match="note"):
        release_rollback(family="shortages", user=team["data_office"], note=" ")
    release = release_rollback(
        family="shortages",
        user=team["data_office"],
        note="Erreur de date dans la version 2.",
    )
    assert (release.number, release.kind, release.version) == (3, "rollback", first)
    assert release.note == "Erreur de date dans la version 2."
    assert live_version("shortages") == first
    assert Release.objects.filter(family="shortages", is_current=True).count() == 1
    assert ModelLogEntry.objects.filter(action="datamed.release.rollback").exists()


def test_there_is_nothing_to_roll_back_to_before_the_first_release(
    tmp_path: Path, media: Path, small_referential: None, team: dict[str, Any]
) -> None:
    version = ingest(tmp_path, MATCHED_ROWS, team["inspection_declarant"])
    with pytest.raises(InvalidTransition):
        release_rollback(family="shortages", user=team["data_office"], note="x")
    approve(version, team)
    with pytest.raises(InvalidTransition, match="première"):
        release_rollback(family="shortages", user=team["data_office"], note="x")


def test_a_version_not_approved_is_never_released(
    tmp_path: Path, media: Path, small_referential: None, team: dict[str, Any]
) -> None:
    version = ingest(tmp_path, MATCHED_ROWS, team["inspection_declarant"])
    with pytest.raises(InvalidTransition):
        release_publish(version=version, user=team["data_office"])
    assert not Release.objects.exists()


def test_a_scheduled_approval_is_released_when_due(
    tmp_path: Path, media: Path, small_referential: None, team: dict[str, Any]
) -> None:
    from datetime import timedelta

    from django.utils import timezone
    from wagtail.models import Revision

    version = ingest(tmp_path, MATCHED_ROWS, team["inspection_declarant"])
    approve(version, team, publish_at=timezone.now() + timedelta(days=1))
    assert not Release.objects.exists()
    Revision.objects.filter(object_id=str(version.pk)).exclude(
        approved_go_live_at=None
    ).update(approved_go_live_at=timezone.now() - timedelta(minutes=1))
    assert review.publish_scheduled() == 1
    release = Release.objects.get()
    assert release.version == version and release.is_current
    assert release.published_by is None  # the periodic job


def test_the_rollback_screen_is_for_the_data_office(
    two_releases: tuple[DatasetVersion, DatasetVersion], team: dict[str, Any]
) -> None:
    url = reverse("publications_rollback", args=["shortages"])
    assert login(team["inspection_declarant"]).get(url).status_code in (302, 403)
    client = login(team["data_office"])
    page = client.get(url).content.decode()
    assert "Version 1" in page and "Version 2" in page
    client.post(url, {"note": ""})
    assert Release.objects.count() == 2
    response = client.post(url, {"note": "Retour à la version précédente."})
    assert response.status_code == 302
    assert live_version("shortages") == two_releases[0]
    listing = client.get(reverse("releases:index")).content.decode()
    assert "Retour à la version précédente." in listing
    # Surveillance does not see the Inspection's releases.
    other = login(team["surveillance_declarant"])
    assert (
        "Retour à la version"
        not in other.get(reverse("releases:index")).content.decode()
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_reader_during_a_publication_sees_the_old_release_or_the_new_one(
    tmp_path: Path, media: Path, small_referential: None, team: dict[str, Any]
) -> None:
    first = ingest(tmp_path, MATCHED_ROWS, team["inspection_declarant"])
    approve(first, team)
    second = ingest(
        tmp_path,
        MATCHED_ROWS.replace("21-1", "21-9"),
        team["inspection_declarant"],
        "b.csv",
    )
    DatasetVersion.objects.filter(pk=second.pk).update(live=True)
    second.refresh_from_db()
    switched = threading.Event()
    read = threading.Event()
    seen: list[Any] = []

    def publish() -> None:
        try:
            with transaction.atomic():
                release_publish(version=second, user=team["data_office"])
                switched.set()
                read.wait(10)
        finally:
            connection.close()

    def reader() -> None:
        switched.wait(10)
        try:
            current = list(
                Release.objects.filter(family="shortages", is_current=True).values_list(
                    "version_id", flat=True
                )
            )
            seen.append(current)
        except OperationalError:  # SQLite: the writer's lock; no partial state seen
            seen.append("locked")
        finally:
            read.set()
            connection.close()

    threads = [threading.Thread(target=publish), threading.Thread(target=reader)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen in ([[first.pk]], ["locked"])
    assert list(
        Release.objects.filter(family="shortages", is_current=True).values_list(
            "version_id", flat=True
        )
    ) == [second.pk]


def test_the_diff_says_which_version_is_live_and_warns_before_a_replacement(
    tmp_path: Path, media: Path, small_referential: None, team: dict[str, Any]
) -> None:
    first = ingest(tmp_path, MATCHED_ROWS, team["inspection_declarant"])
    approve(first, team)
    client = login(team["data_office"])
    page = client.get(f"/admin/donnees/version/{first.pk}/ecarts/").content.decode()
    assert "Cette version est la version publiée" in page
    assert "Rien n" not in page  # not "Nothing is published yet"
    # Another source, none of whose declarations is published: publishing it
    # would withdraw both live declarations.
    other_rows = MATCHED_ROWS.replace("21-1", "99-1").replace("21-2", "99-2")
    other = ingest(tmp_path, other_rows, team["inspection_declarant"], name="b.csv")
    page = client.get(f"/admin/donnees/version/{other.pk}/ecarts/").content.decode()
    assert "retirerait les 2 déclarations publiées" in page
    page = client.get(f"/admin/donnees/version/{first.pk}/ecarts/").content.decode()
    assert "retirerait" not in page
