"""The jobs in the admin: their screens and their dashboard panel."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from wagtail import hooks

from tasks.panels import ActiveJobsPanel
from tasks.viewsets import jobrun_viewset


@hooks.register("register_admin_viewset")
def register_jobrun_viewset() -> Any:
    return jobrun_viewset


@hooks.register("construct_homepage_panels")
def add_jobs_panel(request: HttpRequest, panels: list[Any]) -> None:
    if request.user.has_perm("tasks.view_jobrun"):
        panels.append(ActiveJobsPanel(request))
