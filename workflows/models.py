"""The approval steps of a dataset version's review, as Wagtail workflow tasks.

- ``QualityGateTask``: automatic; passes a version whose cleaning left no blocking
  issue and whose share of unmatched medicines is within its family's threshold,
  otherwise sends it back with the reasons.
- ``FourEyesApprovalTask``: a group approval that the version's uploader and the
  author of its latest revision can never approve or reject. The rule is enforced
  on the task state itself, so every path (editor, dashboard, bulk action, API,
  command, shell) goes through it.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.forms import TaskStateCommentForm
from wagtail.log_actions import LogContext, get_active_log_context
from wagtail.models import (
    AbstractGroupApprovalTask,
    Task,
    TaskState,
)

from datasets.models import DatasetVersion
from workflows.four_eyes import (
    FourEyesRefused,
    preparers_of,
    refuse_preparer,
    refuse_second_step,
    user_approved_another_step,
)
from workflows.gate import quality_gate_reasons

__all__ = ["FourEyesRefused", "preparers_of"]


def require_comment(rejected: bool, comment: str) -> None:
    """Changes are never requested without saying which."""
    if rejected and not (comment or "").strip():
        raise ValidationError(
            _("Say what must be changed: a comment is required to request changes.")
        )


def guard_task_state(sender: Any, instance: TaskState, **kwargs: Any) -> None:
    """pre_save of every task state: a four-eyes step can only be approved or
    rejected by someone who did not prepare the version, and changes can only be
    requested with a comment, whichever code path saves the decision."""
    if instance._state.adding or instance.status not in (
        TaskState.STATUS_APPROVED,
        TaskState.STATUS_REJECTED,
    ):
        return
    previous = (
        TaskState.objects.filter(pk=instance.pk)
        .values_list("status", flat=True)
        .first()
    )
    if previous != TaskState.STATUS_IN_PROGRESS:
        return
    task = instance.task.specific
    obj = instance.workflow_state.content_object
    if not isinstance(task, FourEyesApprovalTask):
        if isinstance(obj, DatasetVersion) and not isinstance(task, QualityGateTask):
            # A plain group approval added to a family's workflow decides nothing.
            raise FourEyesRefused(
                _("This kind of step cannot decide on a dataset version.")
            )
        return
    refuse_preparer(instance.finished_by, obj)
    if instance.status == TaskState.STATUS_APPROVED:
        refuse_second_step(instance.finished_by, instance)
    require_comment(instance.status == TaskState.STATUS_REJECTED, instance.comment)


def _locked_state(task_state: TaskState) -> TaskState:
    """Re-read the task state under a row lock: two reviewers deciding at the same
    moment are serialised, and the second one finds the decision already taken."""
    fresh = TaskState.objects.select_for_update().get(pk=task_state.pk)
    if fresh.status != TaskState.STATUS_IN_PROGRESS:
        raise PermissionDenied(_("This step has already been decided by someone else."))
    return fresh


class FourEyesTaskState(TaskState):
    """Task state of a four-eyes approval: checks the deciding user."""

    def check_decision(self, user: Any, action: str, comment: str) -> None:
        """Raise PermissionDenied (or ValidationError) unless ``user`` may take
        ``action`` on this step now."""
        obj = self.workflow_state.content_object
        if user is None or not user.is_authenticated:
            raise FourEyesRefused(_("A decision needs a signed-in reviewer."))
        refuse_preparer(user, obj)
        task = self.task.specific
        # Superusers administer; only the step's groups review.
        if not task.user_in_groups(user):
            raise PermissionDenied(_("You are not a reviewer of this step."))
        if action == "approve":
            refuse_second_step(user, self)
        require_comment(action == "reject", comment)

    @transaction.atomic
    def approve(
        self, user: Any = None, update: bool = True, comment: str = ""
    ) -> TaskState:
        self.check_decision(user, "approve", comment)
        _locked_state(self)
        self.refresh_from_db()
        return super().approve(user=user, update=update, comment=comment)

    @transaction.atomic
    def reject(
        self, user: Any = None, update: bool = True, comment: str = ""
    ) -> TaskState:
        self.check_decision(user, "reject", comment)
        _locked_state(self)
        self.refresh_from_db()
        return super().reject(user=user, update=update, comment=comment)

    class Meta:
        verbose_name = _("four-eyes task state")
        verbose_name_plural = _("four-eyes task states")


class RequiredCommentForm(TaskStateCommentForm):
    """The form of "request changes": the comment is what the submitter reads."""

    comment = forms.CharField(
        label=_("What must be changed"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=True,
    )


class FourEyesApprovalTask(AbstractGroupApprovalTask):
    """Group approval that refuses the version's preparers, and keeps the version
    locked for everyone while it waits (reviewers decide, they do not edit)."""

    task_state_class = FourEyesTaskState

    def user_in_groups(self, user: Any) -> bool:
        return bool(self._user_in_groups(user))

    def may_decide(self, obj: Any, user: Any) -> bool:
        """Members of the step's groups (superusers included only as members)
        who did not prepare the object nor approve another step of it."""
        if not self.user_in_groups(user) or user.pk in preparers_of(obj):
            return False
        state = getattr(obj, "current_workflow_task_state", None)
        return state is None or not user_approved_another_step(user, state)

    def get_actions(self, obj: Any, user: Any) -> list[tuple[str, Any, bool]]:
        if not self.may_decide(obj, user):
            return []
        return [
            ("reject", _("Request changes"), True),
            ("approve", _("Approve"), False),
            ("approve", _("Approve with comment"), True),
        ]

    def get_form_for_action(self, action: str) -> Any:
        if action == "reject":
            return RequiredCommentForm
        return TaskStateCommentForm

    def get_task_states_user_can_moderate(self, user: Any, **kwargs: Any) -> Any:
        states = super().get_task_states_user_can_moderate(user, **kwargs)
        allowed = [
            state.pk
            for state in states.select_related("workflow_state")
            if self.may_decide(state.workflow_state.content_object, user)
        ]
        return states.filter(pk__in=allowed)

    def locked_for_user(self, obj: Any, user: Any) -> bool:
        """A dataset version is locked for everybody while it waits (reviewers
        decide, they do not edit); a page, as in Wagtail, for non-reviewers only,
        so that its reviewers find the decision buttons in the page editor."""
        if isinstance(obj, DatasetVersion):
            return True
        return not (user.is_superuser or self.user_in_groups(user))

    def user_can_access_editor(self, obj: Any, user: Any) -> bool:
        if isinstance(obj, DatasetVersion):
            return False
        return bool(user.is_superuser or self.user_in_groups(user))

    def user_can_lock(self, obj: Any, user: Any) -> bool:
        return False

    @classmethod
    def get_description(cls) -> str:
        return str(
            _(
                "Members of the chosen groups approve or request changes, except the "
                "person who uploaded or last changed the version."
            )
        )

    class Meta:
        verbose_name = _("four-eyes group approval")
        verbose_name_plural = _("four-eyes group approvals")


class QualityGateTask(Task):
    """Automatic first step: approves a version fit for review, or sends it back
    with the reasons (blocking issues, too many medicines not matched)."""

    def start(self, workflow_state: Any, user: Any = None) -> TaskState:
        task_state = super().start(workflow_state, user=user)
        version = workflow_state.content_object
        reasons = quality_gate_reasons(version)
        task_state.status = (
            TaskState.STATUS_REJECTED if reasons else TaskState.STATUS_APPROVED
        )
        task_state.finished_at = timezone.now()
        task_state.comment = (
            "\n".join(str(r) for r in reasons)
            if reasons
            else str(_("No blocking issue; matching within the family's threshold."))
        )
        task_state.save()
        # The system decided, not the submitter whose request is running: the
        # entry has no user (shown as « Système »), in the request's log group.
        system = LogContext(user=None, generate_uuid=False)
        system.uuid = get_active_log_context().uuid
        with system:
            task_state.log_state_change_action(None, "reject" if reasons else "approve")
        return task_state

    def locked_for_user(self, obj: Any, user: Any) -> bool:
        return True

    @classmethod
    def get_description(cls) -> str:
        return str(
            _(
                "Automatic: passes when no blocking issue remains and the share of "
                "medicines not matched is within the family's threshold."
            )
        )

    class Meta:
        verbose_name = _("automatic quality gate")
        verbose_name_plural = _("automatic quality gates")
