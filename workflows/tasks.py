"""Periodic work of the review: publish the approved versions whose date has come."""

from __future__ import annotations

from backoffice.celery import app
from workflows.services import publish_scheduled


@app.task(name="workflows.publish_scheduled", queue="publish", ignore_result=True)
def publish_scheduled_task() -> int:
    """Every minute (celery beat): publish approved revisions now due."""
    return publish_scheduled()
