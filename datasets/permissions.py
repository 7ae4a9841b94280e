"""Who may do what to a dataset version in the admin.

Versions are created from uploads (never from a blank form), published only by
the last approval of their review workflow (``workflows.finish.workflow_finish``),
and deleted only while they are drafts never submitted.
"""

from __future__ import annotations

from typing import Any

from backoffice.permissions import RefusingPermissionPolicy


class DatasetVersionPermissionPolicy(RefusingPermissionPolicy):
    #: Actions nobody performs through the admin, superusers included.
    refused = frozenset({"add", "publish", "unpublish", "copy"})

    def user_has_permission_for_instance(
        self, user: Any, action: str, instance: Any
    ) -> bool:
        """Per version: only in the user's families; deletion only for a draft
        never submitted. Reads the annotations of ``with_review_state`` when
        present, so that a listing's buttons cost no query per row."""
        from datasets.services import user_families, version_edit_error

        if not self.user_has_permission(user, action):
            return False
        families = user_families(user)
        if families is not None and instance.family not in families:
            return False
        if action == "delete":
            if hasattr(instance, "_last_workflow_status"):
                submitted = instance._last_workflow_status is not None
            else:
                submitted = instance.workflow_states.exists()
            return not submitted and version_edit_error(instance) is None
        return True
