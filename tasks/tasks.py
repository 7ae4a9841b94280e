"""Celery tasks of the jobs framework itself (the reaper and the self-check)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from backoffice.celery import app
from tasks.base import JobOutcome, job
from tasks.diagnostics import platform_selfcheck
from tasks.progress import ProgressReporter
from tasks.registry import register_result_labels
from tasks.services import jobs_reap_stale

register_result_labels(
    {
        "database": _("Database"),
        "users": _("Accounts"),
        "storage": _("File storage"),
        "broker": _("Message broker"),
    }
)


@job(kind="platform.selfcheck", label=_("Platform self-check"), queue="default")
def platform_selfcheck_task(progress: ProgressReporter, **params: Any) -> JobOutcome:
    """Check that the worker reaches the database and the storage."""
    return platform_selfcheck(progress, **params)


@app.task(name="tasks.reap_stale_jobs", queue="default", ignore_result=True)
def reap_stale_jobs_task() -> list[int]:
    """Fail the runs whose worker died, so that they can be retried."""
    return jobs_reap_stale()
