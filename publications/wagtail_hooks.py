"""Releases in the admin: their list, the rollback form, their log actions."""

from __future__ import annotations

from typing import Any

from django.urls import path
from django.utils.translation import gettext_lazy as _
from wagtail import hooks

from publications import views
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
