"""Jobs of the referential: import a BDPM snapshot, refresh from the drop folder."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from backoffice.celery import app
from tasks.base import JobOutcome, job
from tasks.progress import ProgressReporter


@job(kind="referential.import", label=_("BDPM referential import"), queue="ingest")
def referential_import_task(progress: ProgressReporter, **params: Any) -> JobOutcome:
    """Import the BDPM files of a folder (uploaded or dropped)."""
    from referential_admin.services import referential_import_job

    return referential_import_job(progress=progress, **params)


@app.task(name="referential.refresh_from_drop_dir", queue="default", ignore_result=True)
def referential_refresh_task() -> int | None:
    """Start an import when the drop folder holds files not imported yet."""
    from referential_admin.services import referential_refresh_from_drop_dir

    run = referential_refresh_from_drop_dir()
    return run.pk if run is not None else None
