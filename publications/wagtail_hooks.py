"""Releases in the admin: their list, the rollback form, their log actions."""

from __future__ import annotations

from typing import Any

from django.urls import path
from django.utils.translation import gettext_lazy as _
from wagtail import hooks

from publications import views
from publications.pages import VisualisationPage
from publications.viewsets import ReleaseViewSet


@hooks.register("register_admin_viewset")
def register_release_viewset() -> Any:
    return ReleaseViewSet("releases", url_prefix="publications")


@hooks.register("register_admin_urls")
def register_release_urls() -> list[Any]:
    return [
        path(
            "publications/<str:family>/revenir/",
            views.rollback_view,
            name="publications_rollback",
        )
    ]


@hooks.register("register_log_actions")
def register_release_log_actions(actions: Any) -> None:
    actions.register_action(
        "datamed.release.publication", _("Release"), _("Version released to the public")
    )
    actions.register_action(
        "datamed.release.rollback",
        _("Rollback"),
        _("Previous release published again"),
    )


@hooks.register("construct_page_action_menu")
def visualisation_pages_publish_through_review(
    menu_items: list[Any], request: Any, context: Any
) -> None:
    """A visualisation page is published by its review's approval (another Data
    Office manager), never straight from the editor."""
    page = context.get("page")
    parent = context.get("parent_page")
    if isinstance(page, VisualisationPage) or (page is None and parent is not None):
        menu_items[:] = [
            item
            for item in menu_items
            if item.name not in ("action-publish", "action-unpublish")
        ]


@hooks.register("before_publish_page")
def refuse_direct_publication(request: Any, page: Any) -> Any:
    from django.core.exceptions import PermissionDenied

    if isinstance(page.specific, VisualisationPage):
        raise PermissionDenied(
            _("A visualisation page is published by its review, not from the editor.")
        )
    return None
