"""The platform self-check: proves that a worker, the database and the file
storage work together. Offered to administrators from the jobs screen."""

from __future__ import annotations

import time
import uuid

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.utils.translation import gettext as _

from tasks.base import JobOutcome
from tasks.progress import ProgressReporter


def platform_selfcheck(
    progress: ProgressReporter, *, pause_seconds: float = 0.0, steps: int = 4
) -> JobOutcome:
    """Run ``steps`` checks (database, storage, settings), pausing between them.

    Returns the checks' results; raises nothing for a failed check, which is
    reported as "done with errors".
    """
    checks: dict[str, str] = {}
    total = max(steps, 3)
    progress.update(0, total, _("Checking the database"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    checks["database"] = connection.vendor
    checks["users"] = str(get_user_model().objects.count())
    time.sleep(pause_seconds)

    progress.update(1, total, _("Checking the file storage"))
    name = default_storage.save(
        f"selfcheck/{uuid.uuid4().hex}.txt", ContentFile(b"DataMed")
    )
    with default_storage.open(name) as handle:
        ok = handle.read() == b"DataMed"
    default_storage.delete(name)
    checks["storage"] = "ok" if ok else "error"
    time.sleep(pause_seconds)

    progress.update(2, total, _("Checking the broker settings"))
    checks["broker"] = settings.CELERY_BROKER_URL.split("://", 1)[0]
    for step in range(3, total):
        time.sleep(pause_seconds)
        progress.update(step, total)
    progress.update(total, total, _("Self-check finished"))
    return JobOutcome(result=checks, with_errors=not ok)
