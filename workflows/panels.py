"""Dashboard panels of the review: versions waiting for my decision, and mine."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from backoffice.panels import RequestPanel
from datasets.selectors import review_status
from workflows import selectors


class AwaitingMyReviewPanel(RequestPanel):
    """ "En attente de ma relecture": steps this user may decide (never on a
    version they prepared)."""

    name = "datamed_awaiting_review"
    order = 40
    template_name = "workflows/panels/awaiting_review.html"
    title = _("Awaiting my review")

    def get_context_data(self, parent_context: Any = None) -> dict[str, Any]:
        versions = selectors.versions_awaiting(self.request.user)
        for version in versions:
            version.family_label = selectors.family_label(version)
        pages = selectors.pages_awaiting(self.request.user)
        return {"versions": versions, "pages": pages, "title": self.title}


class MyVersionsPanel(RequestPanel):
    """ "Mes versions": what became of the versions this user uploaded."""

    name = "datamed_my_versions"
    order = 45
    template_name = "workflows/panels/my_versions.html"
    title = _("My versions")

    def get_context_data(self, parent_context: Any = None) -> dict[str, Any]:
        versions = list(selectors.versions_of(self.request.user))
        for version in versions:
            version.family_label = selectors.family_label(version)
            version.review = review_status(version)
            if version.review.code == "needs_changes":
                requests = [
                    d
                    for d in selectors.review_history(version)
                    if d.status == "rejected"
                ]
                version.last_request = requests[-1] if requests else None
        return {"versions": versions, "title": self.title}
