"""The "Données" menu: uploads and mapping profiles (from datasets) and the
dataset versions, whose screens are the review's."""

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

from datasets.models import DatasetVersion
from datasets.selectors import review_status, versions_visible_to
from datasets.viewsets import FamilyColumn, MappingProfileViewSet, UploadViewSet
from workflows.views import versions as version_views


class ReviewColumn(Column):
    """Where the version stands in its review (workflow state or publication)."""

    def get_value(self, instance: Any) -> Any:
        return review_status(instance).label


class VersionViewSet(SnippetViewSet):
    """Dataset versions as Wagtail snippets: the workflow, revisions, locking and
    history come from Wagtail; every screen of a version answers 404 outside the
    user's directorate."""

    model = DatasetVersion
    icon = "tasks"
    menu_label = _("Versions")
    index_view_class = version_views.VersionIndexView
    edit_view_class = version_views.VersionEditView
    delete_view_class = version_views.VersionDeleteView
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
        pk = unquote(str(kwargs.get("pk", "")))
        if not pk.isdigit() or not (
            versions_visible_to(request.user).filter(pk=int(pk)).exists()
        ):
            raise Http404
        return view(request, *args, **kwargs)

    return URLPattern(pattern.pattern, guarded, pattern.default_args, pattern.name)


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
