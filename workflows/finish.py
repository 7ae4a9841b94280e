"""``WAGTAIL_FINISH_WORKFLOW_ACTION``. Wagtail imports it while defining its own
models, so this module imports nothing at load time."""

from __future__ import annotations

from typing import Any


def workflow_finish(workflow_state: Any, user: Any = None) -> None:
    """The last approval publishes the latest revision, now or at the version's
    scheduled date.

    Nobody holds the "publish" permission of dataset versions (see
    ``datasets.permissions``): publication happens here only, after every step
    approved, so the permission check is skipped on purpose. Other objects
    (pages) keep Wagtail's behaviour.
    """
    from wagtail.workflows import publish_workflow_state

    from datasets.models import DatasetVersion

    obj = workflow_state.content_object
    if isinstance(obj, DatasetVersion):
        obj.get_latest_revision().publish(user=user, skip_permission_checks=True)
        return
    publish_workflow_state(workflow_state, user=user)
