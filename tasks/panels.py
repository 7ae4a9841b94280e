"""The jobs' dashboard panel of the admin home page."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from backoffice.panels import RequestPanel
from tasks.models import JobRun


class ActiveJobsPanel(RequestPanel):
    """ "Travaux en cours": the running and pending jobs the user may see."""

    name = "datamed_active_jobs"
    order = 50
    template_name = "tasks/panels/active_jobs.html"
    title = _("Jobs in progress")

    def get_context_data(self, parent_context: Any = None) -> dict[str, Any]:
        runs = list(
            JobRun.objects.visible_to(self.request.user)
            .active()
            .select_related("created_by")
            .defer("log", "traceback")[:10]
        )
        return {"runs": runs, "title": self.title}
