"""``WAGTAIL_FINISH_WORKFLOW_ACTION``. Wagtail imports it while defining its own
models, before any app's models exist: this module imports nothing at load time,
and its function imports what it needs when it runs (the only function-local
imports of the project's apps, forced by that order)."""

from __future__ import annotations

from typing import Any


def workflow_finish(workflow_state: Any, user: Any = None) -> None:
    """The last approval publishes the latest revision, now or at the version's
    scheduled date.

    Nobody holds the "publish" permission of dataset versions (see
    ``datasets.permissions``) nor of public pages (``ReviewedPagePermissionTester``):
    publication happens here only, after every step approved, so the permission
    check is skipped on purpose.
    """
    from django.utils import timezone
    from wagtail.log_actions import log

    from datasets.models import DatasetVersion
    from workflows.four_eyes import FourEyesRefused, publication_error
    from workflows.services import release_if_live

    obj = workflow_state.content_object
    if isinstance(obj, DatasetVersion):
        # Whatever the workflow's steps: two people, directorate and Data Office.
        error = publication_error(obj, workflow_state)
        if error is not None:
            raise FourEyesRefused(error)
        revision = obj.get_latest_revision()
        when = (
            DatasetVersion.objects.filter(pk=obj.pk)
            .values_list("go_live_at", flat=True)
            .first()
        )
        if when and when > timezone.now() and not revision.content.get("go_live_at"):
            # Date chosen at the final approval: schedule this revision as the
            # editor's publishing panel would.
            revision.approved_go_live_at = when
            revision.save(update_fields=["approved_go_live_at"])
            log(
                instance=obj,
                action="wagtail.publish.schedule",
                user=user,
                revision=revision,
                data={
                    "revision": {
                        "id": revision.pk,
                        "created": revision.created_at.isoformat(),
                        "go_live_at": when.isoformat(),
                        "has_live_version": obj.live,
                    }
                },
            )
            return
        revision.publish(user=user, skip_permission_checks=True)
        release_if_live(obj.pk, user)
        return
    obj.get_latest_revision().publish(user=user, skip_permission_checks=True)
