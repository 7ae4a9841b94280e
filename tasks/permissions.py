"""Who may see, cancel and retry jobs."""

from __future__ import annotations

from typing import Any

from wagtail.permission_policies.base import ModelPermissionPolicy

from tasks.models import JobRun


class JobRunPermissionPolicy(ModelPermissionPolicy):
    """Jobs are never added, edited or deleted through the admin: only viewed,
    cancelled and retried."""

    def user_has_permission(self, user: Any, action: str) -> bool:
        if action in ("add", "change", "delete"):
            return False
        return bool(super().user_has_permission(user, action))

    def user_has_any_permission(self, user: Any, actions: Any) -> bool:
        return any(self.user_has_permission(user, action) for action in actions)

    def user_has_permission_for_instance(
        self, user: Any, action: str, instance: Any
    ) -> bool:
        return self.user_has_permission(user, action)


def can_manage_run(user: Any, run: JobRun) -> bool:
    """Managers can cancel and retry any job they see; others only their own."""
    if not user.is_authenticated:
        return False
    if user.is_superuser or user.has_perm("tasks.manage_jobrun"):
        return True
    return run.created_by_id is not None and run.created_by_id == user.pk
