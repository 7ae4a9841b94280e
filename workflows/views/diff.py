"""The rows a version adds, removes and changes against the live release (or
the previous version while nothing is published)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from datasets import selectors as dataset_selectors
from workflows import selectors
from workflows.views.access import version_or_404


def diff_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Counts per column and the first rows of each kind of change."""
    version = version_or_404(request, pk)
    comparison = selectors.version_comparison(version)
    diff, baseline = comparison.diff, comparison.baseline
    return TemplateResponse(
        request,
        "workflows/diff.html",
        {
            "version": version,
            "baseline": baseline,
            "is_live": comparison.is_live,
            "itself_live": comparison.itself_live,
            "withdraws_all": comparison.withdraws_all,
            "diff": diff,
            "columns": dataset_selectors.summary_columns(version.family),
            "added": dataset_selectors.records_sample(version, diff["added"]),
            "changed": dataset_selectors.records_sample(version, diff["changed"]),
            "removed": (
                dataset_selectors.records_sample(baseline, diff["removed"])
                if baseline
                else []
            ),
            "page_title": _("Changes – %(version)s") % {"version": version},
            "header_icon": "history",
        },
    )
