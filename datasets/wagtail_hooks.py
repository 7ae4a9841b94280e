"""The datasets in the admin: their screens' URLs, the upload menu item, the
audit trail's actions and the versions' permission policy."""

from __future__ import annotations

from typing import Any

from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.permissions import register_permission_policy

from datasets.models import DatasetVersion
from datasets.permissions import DatasetVersionPermissionPolicy, upload_families

register_permission_policy(
    DatasetVersion, DatasetVersionPermissionPolicy(DatasetVersion)
)


@hooks.register("register_admin_urls")
def register_datasets_urls() -> list[Any]:
    return [path("donnees/", include("datasets.urls"))]


class UploadMenuItem(MenuItem):
    def is_shown(self, request: Any) -> bool:
        return bool(upload_families(request.user))


@hooks.register("register_admin_menu_item")
def register_upload_menu_item() -> MenuItem:
    return UploadMenuItem(
        _("Upload an extract"),
        reverse("datasets_upload_create"),
        icon_name="upload",
        order=90,
    )


@hooks.register("register_log_actions")
def register_datasets_log_actions(actions: Any) -> None:
    """The audit trail's own actions, besides Wagtail's (workflow, publication)."""
    actions.register_action("datamed.upload", _("Upload"), _("Extract uploaded"))
    actions.register_action(
        "datamed.mapping", _("Mapping"), _("Mapping profile version saved")
    )
    actions.register_action(
        "datamed.version.clean", _("Cleaning"), _("Version cleaned and loaded")
    )
    actions.register_action(
        "datamed.version.reclean",
        _("Correction"),
        _("Version cleaned again with another upload or mapping"),
    )
    actions.register_action(
        "datamed.version.rematch", _("Matching"), _("Medicines matched again")
    )
    actions.register_action(
        "datamed.match", _("Match decision"), _("Medicine matched by hand")
    )
