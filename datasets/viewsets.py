"""The admin listings of uploads and mapping profiles (grouped with the dataset
versions in the "Données" menu by ``workflows.viewsets``)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail.admin.ui.tables import Column, DateColumn, StatusTagColumn, TitleColumn

from backoffice.viewsets import ReadOnlyModelViewSet
from datasets import views
from datasets.families import FAMILIES
from datasets.models import MappingProfile, Upload


class FamilyColumn(Column):
    def get_value(self, instance: Any) -> Any:
        schema = FAMILIES.get(instance.family)
        return schema.label if schema is not None else instance.family


class UserColumn(Column):
    def get_value(self, instance: Any) -> Any:
        user = getattr(instance, self.name)
        if user is None:
            return "—"
        return user.get_full_name() or user.get_username()


class UploadViewSet(ReadOnlyModelViewSet):
    model = Upload
    icon = "upload"
    menu_label = _("Uploads")
    index_view_class = views.UploadIndexView
    inspect_view_enabled = False
    list_filter = ["family", "status", "format"]
    search_fields = ["original_name", "sha256"]
    list_per_page = 50
    add_to_admin_menu = False
    header_more_buttons: list[Any] = []

    @property
    def list_display(self) -> list[Any]:
        return [
            TitleColumn(
                "original_name",
                label=_("File name"),
                get_url=lambda u: reverse("datasets_upload", args=[u.pk]),
            ),
            FamilyColumn("family", label=_("Data family")),
            StatusTagColumn(
                "status",
                label=_("Status"),
                accessor="get_status_display",
                primary=lambda u: u.status == Upload.Status.PROFILED,
            ),
            Column("format", label=_("Format"), accessor=lambda u: u.format.upper()),
            UserColumn("uploaded_by", label=_("Uploaded by")),
            DateColumn("uploaded_at", label=_("Uploaded at")),
        ]


class MappingProfileViewSet(ReadOnlyModelViewSet):
    model = MappingProfile
    icon = "table"
    menu_label = _("Mapping profiles")
    index_view_class = views.MappingProfileIndexView

    @property
    def list_display(self) -> list[Any]:
        return [
            Column("name", label=_("Source")),
            Column("version", label=_("Version")),
            FamilyColumn("family", label=_("Data family")),
            UserColumn("created_by", label=_("Created by")),
            DateColumn("created_at", label=_("Created at")),
        ]

    list_filter = ["family"]
    search_fields = ["name"]
    inspect_view_fields = [
        "family",
        "name",
        "version",
        "spec",
        "header_signature",
        "note",
        "created_by",
        "created_at",
    ]
