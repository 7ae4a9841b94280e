"""Permission policies shared by the admin's screens."""

from __future__ import annotations

from typing import Any, ClassVar

from wagtail.permission_policies.base import ModelPermissionPolicy


class RefusingPermissionPolicy(ModelPermissionPolicy):
    """A model permission policy that refuses some actions to everyone,
    superusers included, whatever permissions they hold."""

    refused: ClassVar[frozenset[str]] = frozenset()

    def user_has_permission(self, user: Any, action: str) -> bool:
        if action in self.refused:
            return False
        return bool(super().user_has_permission(user, action))

    def user_has_any_permission(self, user: Any, actions: Any) -> bool:
        return any(self.user_has_permission(user, action) for action in actions)


class ReadOnlyPermissionPolicy(RefusingPermissionPolicy):
    """Rows written only by services (jobs, imports): the admin may view them,
    never add, edit or delete them."""

    refused = frozenset({"add", "change", "delete"})

    def user_has_permission_for_instance(
        self, user: Any, action: str, instance: Any
    ) -> bool:
        return self.user_has_permission(user, action)
