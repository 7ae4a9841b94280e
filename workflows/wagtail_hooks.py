"""The review in the admin: its screens and its dashboard panels."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import include, path
from wagtail import hooks

from workflows.panels import AwaitingMyReviewPanel, MyVersionsPanel

#: Wagtail's own workflow panels, replaced by ours (which name the family, the
#: step and the four-eyes rule).
REPLACED_PANELS = {
    "workflow_objects_to_moderate",
    "user_objects_in_workflow_moderation",
}


@hooks.register("register_admin_urls")
def register_review_urls() -> list[Any]:
    return [path("validation/", include("workflows.urls"))]


@hooks.register("construct_homepage_panels")
def add_review_panels(request: HttpRequest, panels: list[Any]) -> None:
    panels[:] = [p for p in panels if getattr(p, "name", "") not in REPLACED_PANELS]
    from workflows.selectors import is_reviewer

    if request.user.has_perm("datasets.view_datasetversion") and is_reviewer(
        request.user  # type: ignore[arg-type]
    ):
        panels.append(AwaitingMyReviewPanel(request))
    if request.user.has_perm("datasets.add_upload"):
        panels.append(MyVersionsPanel(request))
