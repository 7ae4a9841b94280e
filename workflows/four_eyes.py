"""The four-eyes rule of a version's review, independent of how its workflow is
configured: who prepared it, who approved it, and whether it may be published.

- A *preparer* is anyone who shaped the data under review: the uploader, the
  author of the mapping profile used, the version's creator, the author of any of
  its revisions, anyone who decided a match on it or started a job on it
  (re-matching, re-cleaning), and the person who submitted it. Preparers never
  approve nor reject it.
- Nobody approves two steps of the same revision.
- Publication needs, at the moment it happens, two distinct approvers of the
  published revision who are not preparers: a reviewer of the owning directorate
  and a Data Office manager. Superusers have no review right of their own.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from wagtail.models import Revision, TaskState, WorkflowState

from backoffice import roles
from datasets.models import DatasetVersion
from tasks.models import JobRun

#: The review steps that count (``workflows.models.FourEyesApprovalTask``).
FOUR_EYES_TASK = ("workflows", "foureyesapprovaltask")


class FourEyesRefused(PermissionDenied):
    """Raised when a decision or a publication would break the four-eyes rule."""


def preparers_of(obj: Any) -> set[int]:
    """The ids of the users who prepared this object (see the module's rule)."""
    ids: set[int | None] = set()
    upload = getattr(obj, "upload", None)
    ids.add(getattr(upload, "uploaded_by_id", None))
    ids.add(getattr(obj, "created_by_id", None))
    mapping = getattr(obj, "mapping", None)
    ids.add(getattr(mapping, "created_by_id", None))
    if hasattr(obj, "get_latest_revision") and obj.pk is not None:
        ids.update(Revision.objects.for_instance(obj).values_list("user_id", flat=True))
    state = getattr(obj, "current_workflow_state", None)
    if state is not None:
        ids.add(state.requested_by_id)
    if isinstance(obj, DatasetVersion):
        ids.update(obj.match_decisions.values_list("decided_by_id", flat=True))
        ids.update(
            JobRun.objects.for_target(obj).values_list("created_by_id", flat=True)
        )
    return {user_id for user_id in ids if user_id}


def refuse_preparer(user: Any, obj: Any) -> None:
    """Nobody decides on an object they prepared (or anonymously)."""
    if user is None or user.pk in preparers_of(obj):
        raise FourEyesRefused(
            _(
                "You prepared this version (upload, mapping, match decisions, a "
                "job or a change): another person must review it."
            )
        )


def _approvals(workflow_state: WorkflowState, revision_id: int | None) -> Any:
    app_label, model = FOUR_EYES_TASK
    return TaskState.objects.filter(
        workflow_state=workflow_state,
        status=TaskState.STATUS_APPROVED,
        revision_id=revision_id,
        task__content_type__app_label=app_label,
        task__content_type__model=model,
        finished_by__isnull=False,
    )


def refuse_second_step(user: Any, task_state: TaskState) -> None:
    """Nobody approves two steps of the same revision of an object."""
    if user_approved_another_step(user, task_state):
        raise FourEyesRefused(
            _(
                "You already approved another step of this version: another "
                "person must decide this one."
            )
        )


def user_approved_another_step(user: Any, task_state: TaskState) -> bool:
    return (
        _approvals(task_state.workflow_state, task_state.revision_id)
        .exclude(pk=task_state.pk)
        .filter(finished_by=user)
        .exists()
    )


def publication_error(
    version: DatasetVersion, workflow_state: WorkflowState
) -> str | None:
    """Why the latest revision of ``version`` may not be published after
    ``workflow_state``, or None: it needs a reviewer of the owning directorate and
    a Data Office manager, two different people, neither a preparer, each having
    approved that revision in this review."""
    revision = version.get_latest_revision()
    revision_id = revision.pk if revision is not None else None
    approvers = set(
        _approvals(workflow_state, revision_id).values_list("finished_by_id", flat=True)
    ) - (preparers_of(version) | {workflow_state.requested_by_id})
    directorate = set(
        get_user_model()
        .objects.filter(
            pk__in=approvers,
            is_active=True,
            groups__name__in=roles.reviewer_groups_of(version.family),
        )
        .values_list("pk", flat=True)
    )
    data_office = set(
        get_user_model()
        .objects.filter(
            pk__in=approvers, is_active=True, groups__name=roles.DATA_OFFICE
        )
        .values_list("pk", flat=True)
    )
    if any(a != b for a in directorate for b in data_office):
        return None
    return _(
        "Publication needs two different people who did not prepare the version to "
        "have approved it: a reviewer of the owning directorate and a Data Office "
        "manager. Ask an administrator to check the family's review workflow."
    )


def last_review_of(version: DatasetVersion) -> WorkflowState | None:
    """The version's latest approved review (for a scheduled publication)."""
    return (
        WorkflowState.objects.filter(
            base_content_type=ContentType.objects.get_for_model(DatasetVersion),
            object_id=str(version.pk),
            status=WorkflowState.STATUS_APPROVED,
        )
        .order_by("-created_at", "-pk")
        .first()
    )
