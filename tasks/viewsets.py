from __future__ import annotations

from typing import Any

from django.urls import path
from django.utils.translation import gettext_lazy as _
from wagtail.admin.viewsets.model import ModelViewSet

from tasks import views
from tasks.models import JobRun


class JobRunViewSet(ModelViewSet):
    model = JobRun
    icon = "cogs"
    menu_label = _("Jobs")
    menu_name = "jobs"
    menu_order = 900
    add_to_admin_menu = True
    copy_view_enabled = False
    inspect_view_enabled = True
    index_view_class = views.JobRunIndexView
    inspect_view_class = views.JobRunInspectView
    list_per_page = 25

    def get_urlpatterns(self) -> list[Any]:
        # Jobs are created by services, never by a form: no add, edit or delete.
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            path("inspect/<int:pk>/", self.inspect_view, name="inspect"),
            path("<int:pk>/cancel/", views.cancel_view, name="cancel"),
            path("<int:pk>/retry/", views.retry_view, name="retry"),
            path("status/", views.status_view, name="status"),
            path("selfcheck/", views.selfcheck_view, name="selfcheck"),
        ]


jobrun_viewset = JobRunViewSet("jobs", url_prefix="travaux")
