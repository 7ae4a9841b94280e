"""Jobs of the datasets: profile an upload, clean a version, match it again."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from tasks.base import JobOutcome, job
from tasks.progress import ProgressReporter
from tasks.registry import register_result_labels

register_result_labels(
    {
        "upload": _("Upload no."),
        "columns": _("Columns"),
        "version": _("Version no."),
        "rows_read": _("Rows read"),
        "rows_loaded": _("Rows loaded"),
        "rows_rejected": _("Rows rejected"),
        "issues": _("Issues"),
        "exact": _("Exact matches"),
        "alias": _("Matches by alias"),
        "fuzzy": _("Approximate matches"),
        "ambiguous": _("Matches to review"),
        "unmatched": _("Not found"),
        "excluded": _("Outside the referential"),
    }
)


@job(kind="datasets.profile", label=_("Analysis of an extract"), queue="ingest")
def upload_profile_task(progress: ProgressReporter, **params: Any) -> JobOutcome:
    """Detect the format of an upload and describe its columns."""
    from datasets.services import upload_profile_job

    return upload_profile_job(progress=progress, **params)


@job(kind="datasets.clean", label=_("Cleaning of a dataset version"), queue="ingest")
def version_clean_task(progress: ProgressReporter, **params: Any) -> JobOutcome:
    """Map, normalise, validate, match and load a version's records."""
    from datasets.services import version_clean_job

    return version_clean_job(progress=progress, **params)


@job(kind="datasets.rematch", label=_("New matching of a version"), queue="ingest")
def version_rematch_task(progress: ProgressReporter, **params: Any) -> JobOutcome:
    """Match a version's medicines again after review decisions."""
    from datasets.services import version_rematch_job

    return version_rematch_job(progress=progress, **params)
