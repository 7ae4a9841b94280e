from __future__ import annotations

from typing import Any

from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from datasets.viewsets import DatasetsViewSetGroup


@hooks.register("register_admin_viewset")
def register_datasets_viewsets() -> Any:
    return DatasetsViewSetGroup()


@hooks.register("register_admin_urls")
def register_datasets_urls() -> list[Any]:
    return [path("donnees/", include("datasets.urls"))]


class UploadMenuItem(MenuItem):
    def is_shown(self, request: Any) -> bool:
        from datasets.services import upload_families

        return bool(upload_families(request.user))


@hooks.register("register_admin_menu_item")
def register_upload_menu_item() -> MenuItem:
    return UploadMenuItem(
        _("Upload an extract"),
        reverse("datasets_upload_create"),
        icon_name="upload",
        order=90,
    )
