"""The "Données" menu: uploads, dataset versions and mapping profiles."""

from __future__ import annotations

from functools import wraps
from typing import Any

from django.contrib.admin.utils import unquote
from django.http import Http404, HttpRequest
from django.urls import URLPattern, reverse
from django.utils.translation import gettext_lazy as _
from wagtail.admin.ui.tables import Column, DateColumn, StatusTagColumn, TitleColumn
from wagtail.admin.viewsets.model import ModelViewSetGroup
from wagtail.snippets.views.snippets import SnippetViewSet

from backoffice.viewsets import ReadOnlyModelViewSet
from datasets import views
from datasets.models import DatasetVersion, MappingProfile, Upload


class FamilyColumn(Column):
    def get_value(self, instance: Any) -> Any:
        from datasets.families import FAMILIES

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


class ReviewColumn(Column):
    """Where the version stands in its review (workflow state or publication)."""

    def get_value(self, instance: Any) -> Any:
        from datasets.selectors import review_status

        return review_status(instance).label


class VersionViewSet(SnippetViewSet):
    """Dataset versions as Wagtail snippets: the workflow, revisions, locking and
    history come from Wagtail; every screen of a version answers 404 outside the
    user's directorate."""

    model = DatasetVersion
    icon = "tasks"
    menu_label = _("Versions")
    index_view_class = views.VersionIndexView
    edit_view_class = views.VersionEditView
    delete_view_class = views.VersionDeleteView
    copy_view_enabled = False
    inspect_view_enabled = False
    list_filter = ["family", "status", "live"]
    search_fields = ["upload__original_name", "note"]
    list_per_page = 50

    @property
    def list_display(self) -> list[Any]:
        return [
            TitleColumn(
                "number",
                label=_("Version"),
                get_url=lambda v: reverse("workflows_review", args=[v.pk]),
                accessor=lambda v: str(v),
            ),
            FamilyColumn("family", label=_("Data family")),
            StatusTagColumn(
                "status",
                label=_("Cleaning"),
                accessor="get_status_display",
                primary=lambda v: v.status == DatasetVersion.Status.DRAFT,
            ),
            ReviewColumn("review", label=_("Review")),
            Column("upload", label=_("Upload")),
            Column("rows_loaded", label=_("Rows loaded")),
            Column("blocking_issues", label=_("Blocking issues")),
            DateColumn("created_at", label=_("Created at")),
        ]

    def get_urlpatterns(self) -> list[Any]:
        return [_visible_only(pattern) for pattern in super().get_urlpatterns()]

    def get_menu_item_is_registered(self) -> bool:
        # Listed in the "Données" group, so not in Wagtail's "Snippets" menu too.
        return True


def _visible_only(pattern: Any) -> Any:
    """Wrap a URL pattern naming a version so that it answers 404 for a version
    outside the user's directorate (edit, history, workflow, lock, delete...)."""
    if "pk" not in str(pattern.pattern):
        return pattern
    view = pattern.callback

    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        from datasets.selectors import versions_visible_to

        pk = unquote(str(kwargs.get("pk", "")))
        if not pk.isdigit() or not (
            versions_visible_to(request.user).filter(pk=int(pk)).exists()
        ):
            raise Http404
        return view(request, *args, **kwargs)

    return URLPattern(pattern.pattern, guarded, pattern.default_args, pattern.name)


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


class DatasetsViewSetGroup(ModelViewSetGroup):
    menu_label = _("Data")
    menu_icon = "table"
    menu_name = "datasets"
    menu_order = 100
    items = (
        UploadViewSet("uploads", url_prefix="donnees/depots"),
        VersionViewSet(url_prefix="donnees/versions"),
        MappingProfileViewSet("mapping_profiles", url_prefix="donnees/profils"),
    )
