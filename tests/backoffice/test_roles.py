"""The six roles: created by the data migration, idempotently, and what each group
can and cannot open in the admin."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from django.apps import apps as global_apps
from django.contrib.auth.models import Group, Permission
from django.test import Client, RequestFactory
from wagtail.admin.menu import admin_menu

from backoffice import roles

STAFF = [
    "inspection_declarant",
    "inspection_reviewer",
    "surveillance_declarant",
    "surveillance_reviewer",
    "data_office",
    "administrator",
]


def test_the_six_groups_exist_and_wagtail_defaults_are_gone(db: Any) -> None:
    names = set(Group.objects.values_list("name", flat=True))
    assert names == set(roles.ALL_GROUPS)


def test_applying_the_roles_again_changes_nothing(db: Any) -> None:
    def snapshot() -> dict[str, set[str]]:
        return {
            group.name: set(group.permissions.values_list("codename", flat=True))
            for group in Group.objects.prefetch_related("permissions")
        }

    before = snapshot()
    roles.apply_roles(global_apps)
    roles.apply_roles(global_apps)
    assert snapshot() == before
    assert Group.objects.count() == 6


def test_permissions_follow_the_design(db: Any) -> None:
    def codenames(name: str) -> set[str]:
        return set(
            Group.objects.get(name=name).permissions.values_list("codename", flat=True)
        )

    declarants = codenames(roles.INSPECTION_DECLARANTS)
    assert {"access_admin", "view_jobrun", "view_speciality", "add_alias"} <= declarants
    assert "import_referential" not in declarants
    assert "add_alias" not in codenames(roles.INSPECTION_REVIEWERS)
    assert "import_referential" in codenames(roles.DATA_OFFICE)
    assert "manage_jobrun" in codenames(roles.DATA_OFFICE)
    # Editing a review workflow is an administrator's act: nobody else may
    # remove the steps that stand between them and a publication.
    for name in (roles.DATA_OFFICE, roles.INSPECTION_REVIEWERS):
        assert not {"add_workflow", "change_workflow", "delete_task"} & codenames(name)
    everything = codenames(roles.ADMINISTRATORS)
    assert {"add_user", "manage_jobrun", "publish_page"} <= everything
    assert {"add_workflow", "change_workflow", "change_task"} <= everything


def _status(client: Client, user: Any, url: str) -> int:
    client.force_login(user)
    return client.get(url).status_code


# (url, personas that may open it). Others are refused (redirect or 403).
ACCESS = [
    ("/admin/", STAFF),
    ("/admin/travaux/", STAFF),
    ("/admin/referentiel/specialites/", STAFF),
    ("/admin/referentiel/imports/upload/", ["data_office", "administrator"]),
    ("/admin/referentiel/corrections-atc/new/", ["data_office", "administrator"]),
    ("/admin/pages/", ["data_office", "administrator"]),
    ("/admin/documents/", ["data_office", "administrator"]),
    ("/admin/images/", ["data_office", "administrator"]),
    ("/admin/workflows/list/", ["administrator"]),
    ("/admin/workflows/tasks/index/", ["administrator"]),
    ("/admin/users/", ["administrator"]),
    ("/admin/groups/", ["administrator"]),
]


@pytest.mark.parametrize(("url", "allowed"), ACCESS)
def test_each_group_opens_exactly_its_screens(
    client: Client, personas: dict[str, Any], url: str, allowed: list[str]
) -> None:
    for name, user in personas.items():
        status = _status(client, user, url)
        if name in allowed:
            assert status == 200, f"{name} should open {url}, got {status}"
        else:
            assert status in (302, 403), f"{name} must not open {url}, got {status}"


def _menu_names(user: Any) -> set[str]:
    request = RequestFactory().get("/admin/")
    request.user = user
    return {item.name for item in admin_menu.menu_items_for_request(request)}


def test_menus_shown_to_each_role(personas: dict[str, Any]) -> None:
    staff = {"jobs", "referential", "datasets", "publications"}
    expected = {
        # Only a directorate owning a family with extracts gets the upload entry.
        "inspection_declarant": staff | {"deposer-un-extrait"},
        "inspection_reviewer": staff,
        # Pharmacovigilance takes extracts: the surveillance declarants upload.
        "surveillance_declarant": staff | {"deposer-un-extrait"},
        "surveillance_reviewer": staff,
    }
    for name, menus in expected.items():
        assert _menu_names(personas[name]) == menus, name
    data_office = _menu_names(personas["data_office"])
    assert {"explorer", "images", "documents", "jobs", "reports"} <= data_office
    assert {"datasets", "deposer-un-extrait"} <= data_office
    # Workflows live under settings, and only administrators edit them.
    assert "settings" not in data_office
    assert "settings" in _menu_names(personas["administrator"])
    assert "help" not in _menu_names(personas["administrator"])


def test_the_django_admin_is_not_exposed(
    client: Client, personas: dict[str, Any]
) -> None:
    client.force_login(personas["administrator"])
    assert not global_apps.is_installed("django.contrib.admin")
    for url in ("/django-admin/", "/admin/auth/user/", "/admin/auth/"):
        assert client.get(url).status_code == 404


def test_an_account_without_role_cannot_enter_the_admin(
    client: Client, personas: dict[str, Any]
) -> None:
    client.force_login(personas["outsider"])
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_an_existing_data_office_group_loses_the_workflow_permissions(
    db: Any,
) -> None:
    migration = importlib.import_module(
        "backoffice.migrations.0006_workflows_admin_only"
    )
    group = Group.objects.get(name=roles.DATA_OFFICE)
    workflow_perms = Permission.objects.filter(
        content_type__app_label="wagtailcore",
        codename__in=migration.WORKFLOW_CODENAMES,
    )
    group.permissions.add(*workflow_perms)  # as granted before the change
    migration.revoke(global_apps, None)
    assert not group.permissions.filter(pk__in=workflow_perms).exists()
    admins = Group.objects.get(name=roles.ADMINISTRATORS)
    assert admins.permissions.filter(pk__in=workflow_perms).count() == 6
