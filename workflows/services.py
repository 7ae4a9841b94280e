"""Services of the review of dataset versions, on Wagtail's workflow machinery:
submit (or resume), decide, cancel, finish by publishing, publish when scheduled.

Every function checks who may do what; the four-eyes rule itself lives on the
task state (``workflows.models.FourEyesTaskState``) so that no path avoids it.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.log_actions import log
from wagtail.models import Revision, TaskState, WorkflowState

from backoffice.exceptions import ApplicationError, InvalidTransition, PermissionRefused
from backoffice.roles import sees_every_family
from datasets.models import DatasetVersion
from datasets.permissions import family_check, version_edit_error
from publications.services import release_publish
from workflows.four_eyes import last_review_of, publication_error
from workflows.models import FourEyesApprovalTask

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger("datamed.workflows")


def _refuse(exc: Exception) -> ApplicationError:
    if isinstance(exc, ValidationError):
        return ApplicationError(" ".join(str(m) for m in exc.messages))
    message = str(exc) or _("You may not do this.")
    return PermissionRefused(message)


def _fresh(version: DatasetVersion) -> DatasetVersion:
    return DatasetVersion.objects.select_related("upload").get(pk=version.pk)


def version_submit(
    *, version: DatasetVersion, user: User, note: str | None = None
) -> WorkflowState:
    """Submit a cleaned version to its family's review workflow, or resume the
    review after changes were requested.

    On resuming, the review restarts at the first step not approved for the
    latest revision: a version corrected after an approval goes through the steps
    it had already passed. The automatic quality gate runs at once; the returned
    state says whether it passed (``in_progress``) or sent the version back
    (``needs_changes``). Raises InvalidTransition or PermissionRefused (also
    when the workflow would publish without the four-eyes approvals).
    """
    family_check(user, version.family)
    if not user.has_perm("datasets.change_datasetversion"):
        raise PermissionRefused(_("You may not submit versions."))
    version = _fresh(version)
    if version.status != DatasetVersion.Status.DRAFT:
        raise InvalidTransition(_("Only a cleaned version can be submitted."))
    reason = version_edit_error(version)
    if reason is not None:
        raise InvalidTransition(reason)
    workflow = version.get_workflow()
    if workflow is None:
        raise InvalidTransition(_("No review workflow is set for this family."))
    try:
        return _submit(version, workflow, user, note)
    except PermissionDenied as exc:
        # A workflow stripped of its human steps would publish at once: refused.
        raise _refuse(exc) from exc


def _submit(
    version: DatasetVersion, workflow: Any, user: Any, note: str | None
) -> WorkflowState:
    with transaction.atomic():
        state = version.current_workflow_state
        if note is not None and note.strip() != version.note:
            version.note = note.strip()
            version.save(update_fields=["note"])
            version.save_revision(user=user, clean=False, log_action=True)
        elif version.get_latest_revision() is None:
            version.save_revision(user=version.created_by or user, clean=False)
        if state is not None and state.status == WorkflowState.STATUS_NEEDS_CHANGES:
            return _resume(state, version, user)
        return workflow.start(version, user)


def _resume(state: WorkflowState, version: DatasetVersion, user: Any) -> WorkflowState:
    """Wagtail's resume restarts the step that asked for changes; ours restarts at
    the first step not approved for the latest revision (the same step when
    nothing changed since, the first one when the version was corrected)."""
    rejected = state.current_task_state
    state.current_task_state = None
    state.status = WorkflowState.STATUS_IN_PROGRESS
    state.save()
    log(
        instance=version,
        action="wagtail.workflow.resume",
        data={
            "workflow": {
                "id": state.workflow_id,
                "title": state.workflow.name,
                "status": state.status,
                "task_state_id": rejected.pk if rejected else None,
                "task": {
                    "id": rejected.task_id if rejected else None,
                    "title": rejected.task.name if rejected else "",
                },
            }
        },
        revision=rejected.revision if rejected else None,
        user=user,
    )
    state.update(user=user)
    state.refresh_from_db()
    return state


def version_decide(
    *,
    version: DatasetVersion,
    user: User,
    action: str,
    comment: str = "",
    publish_at: datetime | None = None,
) -> TaskState:
    """Approve the version's current review step, or request changes (a comment
    is then required). Approving the last step publishes the version, at once or
    at ``publish_at`` (or the date set in the editor). Raises PermissionRefused
    for a preparer of the version (four eyes), someone outside the step's groups,
    or a step already decided; ApplicationError for a date in the past.
    """
    family_check(user, version.family)
    if action not in ("approve", "reject"):
        raise ApplicationError(_("Unknown decision."))
    version = _fresh(version)
    task_state = version.current_workflow_task_state
    if task_state is None or task_state.status != TaskState.STATUS_IN_PROGRESS:
        raise InvalidTransition(_("This version is not waiting for a review."))
    task = task_state.task.specific
    if not isinstance(task, FourEyesApprovalTask):
        raise PermissionRefused(_("This step is not decided by a reviewer."))
    allowed = {name for name, _label, _modal in task.get_actions(version, user)}
    if action not in allowed:
        try:
            task_state.specific.check_decision(user, action, comment)
        except (PermissionDenied, ValidationError) as exc:
            raise _refuse(exc) from exc
        raise PermissionRefused(_("You may not decide on this step."))
    if publish_at is not None:
        if action != "approve":
            raise ApplicationError(_("A publication date goes with an approval."))
        if publish_at <= timezone.now():
            raise ApplicationError(_("The publication date must be in the future."))
    try:
        with transaction.atomic():
            if publish_at is not None:
                DatasetVersion.objects.filter(pk=version.pk).update(
                    go_live_at=publish_at
                )
            task.on_action(task_state, user, action, comment=comment.strip())
    except (PermissionDenied, ValidationError) as exc:
        raise _refuse(exc) from exc
    task_state.refresh_from_db()
    return task_state


def version_cancel(*, version: DatasetVersion, user: User) -> None:
    """Withdraw the version from review (its submitter, or the Data Office)."""
    family_check(user, version.family)
    version = _fresh(version)
    state = version.current_workflow_state
    if state is None:
        raise InvalidTransition(_("This version is not under review."))
    if not (user == state.requested_by or sees_every_family(user)):
        raise PermissionRefused(
            _(
                "Only the person who submitted the version or the Data Office "
                "can withdraw it."
            )
        )
    state.cancel(user=user)


def publish_scheduled() -> int:
    """Publish the approved revisions whose date has come (periodic job).
    Returns how many were published."""
    dataset_type = DatasetVersion().get_base_content_type()
    due = Revision.objects.filter(approved_go_live_at__lte=timezone.now()).order_by(
        "approved_go_live_at"
    )
    count = 0
    for revision in due:
        with transaction.atomic():
            locked = (
                Revision.objects.select_for_update()
                .filter(pk=revision.pk, approved_go_live_at__isnull=False)
                .first()
            )
            if locked is None:
                continue
            if locked.base_content_type_id == dataset_type.pk and not _may_publish(
                int(locked.object_id)
            ):
                continue
            locked.publish(
                user=None,
                log_action="wagtail.publish.scheduled",
                skip_permission_checks=True,
            )
            if locked.base_content_type_id == dataset_type.pk:
                release_if_live(int(locked.object_id), None)
            count += 1
    return count


def _may_publish(version_id: int) -> bool:
    """The four-eyes rule, checked again when a scheduled publication comes due."""
    version = DatasetVersion.objects.get(pk=version_id)
    review = last_review_of(version)
    error = (
        publication_error(version, review)
        if review is not None
        else _("This version was not approved through a review.")
    )
    if error is None:
        return True
    logger.error("Scheduled publication of version %s refused: %s", version_id, error)
    return False


def release_if_live(version_id: int, user: Any) -> None:
    """A version Wagtail has just published becomes its family's current release
    (in the same transaction); a scheduled one waits for its date."""
    version = DatasetVersion.objects.get(pk=version_id)
    if version.live:
        release_publish(version=version, user=user)
