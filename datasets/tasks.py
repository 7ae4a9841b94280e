"""Jobs of the datasets: profile an upload, clean a version, match it again."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from datasets.models import DatasetVersion, Upload
from datasets.services import (
    upload_profile,
    version_clean,
    version_rematch,
    version_require_editable,
)
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
def upload_profile_task(
    progress: ProgressReporter,
    *,
    upload_id: int,
    overrides: dict[str, Any] | None = None,
) -> JobOutcome:
    """Detect the format of an upload and describe its columns."""
    upload = Upload.objects.get(pk=upload_id)
    upload = upload_profile(upload=upload, overrides=overrides, progress=progress)
    return JobOutcome(
        result={"upload": upload.pk, "columns": len(upload.columns)},
    )


@job(kind="datasets.clean", label=_("Cleaning of a dataset version"), queue="ingest")
def version_clean_task(
    progress: ProgressReporter, *, version_id: int, user_id: int | None = None
) -> JobOutcome:
    """Map, normalise, validate, match and load a version's records."""
    version = DatasetVersion.objects.select_related("upload", "mapping").get(
        pk=version_id
    )
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    result = version_clean(version=version, progress=progress, user=user)
    return JobOutcome(
        result={
            "version": version.pk,
            "rows_read": result.rows_read,
            "rows_loaded": result.rows_loaded,
            "rows_rejected": result.rows_rejected,
            "issues": sum(result.issue_counts().values()),
        },
        # Duplicates and drafts left out are expected: only rows refused for a
        # blocking issue make the job "finished with errors".
        with_errors=bool((result.issues["severity"] == "blocking").any()),
    )


@job(kind="datasets.rematch", label=_("New matching of a version"), queue="ingest")
def version_rematch_task(
    progress: ProgressReporter, *, version_id: int, user_id: int | None = None
) -> JobOutcome:
    """Match a version's medicines again after review decisions."""
    version = DatasetVersion.objects.get(pk=version_id)
    version_require_editable(version)
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    counts = version_rematch(version=version, progress=progress, user=user)
    return JobOutcome(result={"version": version.pk, **counts})
