"""The jobs in the admin: their screens and their dashboard panel."""

from __future__ import annotations

from typing import Any

from wagtail import hooks

from backoffice.http import AuthenticatedRequest
from tasks.panels import ActiveJobsPanel
from tasks.viewsets import jobrun_viewset


@hooks.register("register_admin_viewset")
def register_jobrun_viewset() -> Any:
    return jobrun_viewset


@hooks.register("construct_homepage_panels")
def add_jobs_panel(request: AuthenticatedRequest, panels: list[Any]) -> None:
    if request.user.has_perm("tasks.view_jobrun"):
        panels.append(ActiveJobsPanel(request))
