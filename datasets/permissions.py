"""Who may do what to a dataset version in the admin.

Versions are created from uploads (never from a blank form), published only by
the last approval of their review workflow (``workflows.services.workflow_finish``),
and deleted only while they are drafts never submitted.
"""

from __future__ import annotations

from typing import Any

from wagtail.permission_policies.base import ModelPermissionPolicy

#: Actions nobody performs through the admin, superusers included.
NEVER_IN_ADMIN = frozenset({"add", "publish", "unpublish", "copy"})


class DatasetVersionPermissionPolicy(ModelPermissionPolicy):
    def user_has_permission(self, user: Any, action: str) -> bool:
        if action in NEVER_IN_ADMIN:
            return False
        return bool(super().user_has_permission(user, action))

    def user_has_any_permission(self, user: Any, actions: Any) -> bool:
        return any(self.user_has_permission(user, action) for action in actions)

    def user_has_permission_for_instance(
        self, user: Any, action: str, instance: Any
    ) -> bool:
        from datasets.selectors import versions_visible_to
        from datasets.services import version_edit_error

        if not self.user_has_permission(user, action):
            return False
        if not versions_visible_to(user).filter(pk=instance.pk).exists():
            return False
        if action == "delete":
            return (
                not instance.workflow_states.exists()
                and version_edit_error(instance) is None
            )
        return True
