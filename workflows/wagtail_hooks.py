"""The review in the admin: its screens and its dashboard panels."""

from __future__ import annotations

from typing import Any

from django.urls import include, path
from wagtail import hooks

from backoffice.http import AuthenticatedRequest
from datasets.models import DatasetVersion
from workflows.panels import AwaitingMyReviewPanel, MyVersionsPanel
from workflows.selectors import is_reviewer
from workflows.views.diff import diff_view
from workflows.views.versions import VersionDeleteBulkAction
from workflows.viewsets import DatasetsViewSetGroup

#: Wagtail's own workflow panels, replaced by ours (which name the family, the
#: step and the four-eyes rule).
REPLACED_PANELS = {
    "workflow_objects_to_moderate",
    "user_objects_in_workflow_moderation",
}


@hooks.register("register_admin_viewset")
def register_datasets_viewsets() -> Any:
    return DatasetsViewSetGroup()


@hooks.register("register_admin_urls")
def register_review_urls() -> list[Any]:
    return [
        path("validation/", include("workflows.urls")),
        # The comparison screen keeps its address among the datasets' screens.
        path("donnees/version/<int:pk>/ecarts/", diff_view, name="datasets_diff"),
    ]


@hooks.register("construct_homepage_panels")
def add_review_panels(request: AuthenticatedRequest, panels: list[Any]) -> None:
    panels[:] = [p for p in panels if getattr(p, "name", "") not in REPLACED_PANELS]
    if request.user.has_perm("datasets.view_datasetversion") and is_reviewer(
        request.user
    ):
        panels.append(AwaitingMyReviewPanel(request))
    if request.user.has_perm("datasets.add_upload"):
        panels.append(MyVersionsPanel(request))


@hooks.register("construct_snippet_action_menu")
def remove_publish_actions(menu_items: list[Any], request: Any, context: Any) -> None:
    """A version is published by the last approval of its review, never from the
    editor (the permission policy refuses the action too)."""
    if context.get("model") is DatasetVersion:
        menu_items[:] = [
            item
            for item in menu_items
            if item.name not in ("action-publish", "action-unpublish")
        ]


# After Wagtail's own snippet bulk actions (order), so that it replaces their
# delete for dataset versions.
hooks.register("register_bulk_action", VersionDeleteBulkAction, order=100)
