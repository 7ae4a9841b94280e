"""Who may see, cancel and retry jobs."""

from __future__ import annotations

from typing import Any

from backoffice.permissions import ReadOnlyPermissionPolicy
from tasks.models import JobRun


class JobRunPermissionPolicy(ReadOnlyPermissionPolicy):
    """Jobs are created by services: only viewed, cancelled and retried."""


def can_manage_run(user: Any, run: JobRun) -> bool:
    """Managers can cancel and retry any job they see; others only their own."""
    if not user.is_authenticated:
        return False
    if user.is_superuser or user.has_perm("tasks.manage_jobrun"):
        return True
    return run.created_by_id is not None and run.created_by_id == user.pk
