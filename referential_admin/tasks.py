"""Jobs of the referential: import a BDPM snapshot, refresh from the drop folder."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from backoffice.celery import app
from referential_admin.services import (
    referential_import_job,
    referential_refresh_from_drop_dir,
)
from tasks.base import JobOutcome, job
from tasks.progress import ProgressReporter
from tasks.registry import register_result_labels

register_result_labels(
    {
        "import": _("Import no."),
        "specialities": _("Specialities"),
        "presentations": _("Presentations"),
        "compositions": _("Compositions"),
        "generic_groups": _("Generic groups"),
        "availability": _("Availability statuses"),
        "mitm": _("MITM list"),
        "created": _("Rows created"),
        "updated": _("Rows updated"),
        "withdrawn": _("Rows withdrawn"),
        "rejected_lines": _("Rejected lines"),
        "seconds": _("Duration (s)"),
    }
)


@job(kind="referential.import", label=_("BDPM referential import"), queue="ingest")
def referential_import_task(progress: ProgressReporter, **params: Any) -> JobOutcome:
    """Import the BDPM files of a folder (uploaded or dropped)."""
    return referential_import_job(progress=progress, **params)


@app.task(name="referential.refresh_from_drop_dir", queue="default", ignore_result=True)
def referential_refresh_task() -> int | None:
    """Start an import when the drop folder holds files not imported yet."""
    run = referential_refresh_from_drop_dir()
    return run.pk if run is not None else None
