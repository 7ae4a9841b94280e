"""Permission policies shared by the admin's read-only screens."""

from __future__ import annotations

from typing import Any

from wagtail.permission_policies.base import ModelPermissionPolicy


class ReadOnlyPermissionPolicy(ModelPermissionPolicy):
    """Rows written only by services (jobs, imports): the admin may view them,
    never add, edit or delete them."""

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
