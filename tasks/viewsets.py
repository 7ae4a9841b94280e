from __future__ import annotations

from typing import Any

from django.urls import path
from django.utils.translation import gettext_lazy as _

from backoffice.viewsets import ReadOnlyModelViewSet
from tasks import views
from tasks.models import JobRun


class JobRunViewSet(ReadOnlyModelViewSet):
    model = JobRun
    icon = "cogs"
    menu_label = _("Jobs")
    menu_name = "jobs"
    menu_order = 900
    add_to_admin_menu = True
    index_view_class = views.JobRunIndexView
    inspect_view_class = views.JobRunInspectView
    list_per_page = 25

    def get_urlpatterns(self) -> list[Any]:
        return [
            *super().get_urlpatterns(),
            path("<int:pk>/cancel/", views.cancel_view, name="cancel"),
            path("<int:pk>/retry/", views.retry_view, name="retry"),
            path("status/", views.status_view, name="status"),
            path("selfcheck/", views.selfcheck_view, name="selfcheck"),
        ]


jobrun_viewset = JobRunViewSet("jobs", url_prefix="travaux")
