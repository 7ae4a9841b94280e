"""Reads of the review: what a user may do with a version, the steps and the
decisions taken, what publication will show or suppress, and the dashboard lists."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.models import Task, TaskState, WorkflowState

from backoffice.roles import sees_every_family
from datasets.families import FAMILIES, get_family
from datasets.models import DatasetVersion
from datasets.permissions import version_edit_error
from datasets.selectors import (
    review_status,
    version_diff,
    versions_visible_to,
    with_review_state,
)
from publications.aggregates import aggregate_tables
from publications.disclosure import TOTAL
from publications.selectors import live_version
from workflows.gate import quality_gate_reasons
from workflows.models import FourEyesApprovalTask

if TYPE_CHECKING:
    from django.contrib.auth.models import User


@dataclass
class Decision:
    """One step decided (or started) in the version's reviews, oldest first."""

    task: str
    status: str
    status_label: str
    by: str
    at: Any
    comment: str
    automatic: bool = False


@dataclass
class ReviewPanel:
    """What the review screen shows and offers to this user."""

    status: Any
    steps: list[Any]
    history: list[Decision]
    can_submit: bool = False
    can_resume: bool = False
    can_decide: bool = False
    can_cancel: bool = False
    refusal: str = ""
    edit_error: str | None = None
    current_task: str = ""
    #: Why the automatic gate would send the version back now (before submitting).
    gate_reasons: list[str] = field(default_factory=list)
    #: The last request for changes: step, who, when, comment.
    last_request: Decision | None = None
    #: Whether the version changed since that request.
    changed_since_request: bool = False
    #: The current step is the last one: approving it publishes.
    last_step: bool = False
    submitted_by: str = ""
    submitted_at: Any = None


STATUS_LABELS = {
    "not_started": gettext_lazy("to come"),
    TaskState.STATUS_IN_PROGRESS: gettext_lazy("waiting"),
    TaskState.STATUS_APPROVED: gettext_lazy("approved"),
    TaskState.STATUS_REJECTED: gettext_lazy("changes requested"),
    TaskState.STATUS_SKIPPED: gettext_lazy("skipped"),
    TaskState.STATUS_CANCELLED: gettext_lazy("cancelled"),
}


def _name(user: User | None) -> str:
    if user is None:
        return ""
    return str(user.get_full_name() or user.get_username())


def review_history(version: DatasetVersion) -> list[Decision]:
    """Every submission, resumption and step of every review of the version, with
    who did it and why, oldest first."""
    from wagtail.models import ModelLogEntry

    states = (
        TaskState.objects.filter(
            workflow_state__base_content_type_id=version.get_base_content_type().pk,
            workflow_state__object_id=str(version.pk),
        )
        .select_related("task", "finished_by")
        .order_by("started_at", "pk")
    )
    history = [
        Decision(
            task=state.task.name,
            status=state.status,
            status_label=str(STATUS_LABELS.get(state.status, state.status)),
            by=(_name(state.finished_by) or str(_("automatic")))
            if state.finished_at
            else "",
            automatic=state.finished_at is not None and state.finished_by_id is None,
            at=state.finished_at or state.started_at,
            comment=state.comment,
        )
        for state in states
    ]
    events = {
        "wagtail.workflow.start": gettext_lazy("submitted"),
        "wagtail.workflow.resume": gettext_lazy("resumed"),
        "wagtail.workflow.cancel": gettext_lazy("withdrawn"),
    }
    for entry in ModelLogEntry.objects.filter(
        content_type_id=version.get_base_content_type().pk,
        object_id=str(version.pk),
        action__in=list(events),
    ).select_related("user"):
        history.append(
            Decision(
                task=str(_("Review")),
                status=entry.action.rsplit(".", 1)[-1],
                status_label=str(events[entry.action]),
                by=_name(entry.user),
                at=entry.timestamp,
                comment="",
            )
        )
    history.sort(key=lambda d: d.at)
    return history


def _steps(state: WorkflowState) -> list[Any]:
    steps = list(state.all_tasks_with_status())
    for task in steps:
        task.status = task.status or "not_started"
        task.status_label = STATUS_LABELS.get(task.status, task.status_display)
    return steps


def review_panel(version: DatasetVersion, user: User) -> ReviewPanel:
    """The version's review as this user sees it, with the actions offered."""
    version = DatasetVersion.objects.select_related("upload").get(pk=version.pk)
    state = version.current_workflow_state
    history = review_history(version)
    panel = ReviewPanel(
        status=review_status(version),
        steps=_steps(state) if state else [],
        history=history,
        edit_error=version_edit_error(version),
    )
    may_change = user.has_perm("datasets.change_datasetversion")
    if state is None:
        panel.can_submit = (
            may_change
            and version.status == DatasetVersion.Status.DRAFT
            and panel.edit_error is None
            and version.get_workflow() is not None
        )
        if panel.can_submit:
            panel.gate_reasons = quality_gate_reasons(version)
        return panel
    panel.submitted_by = _name(state.requested_by)
    panel.submitted_at = state.created_at
    task_state = state.current_task_state
    panel.current_task = task_state.task.name if task_state else ""
    panel.can_cancel = user == state.requested_by or sees_every_family(user)
    if state.status == WorkflowState.STATUS_NEEDS_CHANGES:
        panel.can_resume = may_change
        requests = [d for d in history if d.status == TaskState.STATUS_REJECTED]
        panel.last_request = requests[-1] if requests else None
        latest = version.get_latest_revision()
        panel.changed_since_request = bool(
            task_state and latest and latest.pk != task_state.revision_id
        )
        reasons = quality_gate_reasons(version)
        # Not twice the same reasons: the gate's request already lists them.
        already = panel.last_request and panel.last_request.comment == "\n".join(
            str(r) for r in reasons
        )
        panel.gate_reasons = [] if already else reasons
        return panel
    task = task_state.task.specific if task_state else None
    if task is not None:
        panel.last_step = not (
            state.workflow.workflow_tasks.filter(
                sort_order__gt=state.workflow.workflow_tasks.get(task=task).sort_order,
                task__active=True,
            ).exists()
        )
    if isinstance(task, FourEyesApprovalTask):
        in_group = task.user_in_groups(user)
        panel.can_decide = task.may_decide(version, user)
        if in_group and not panel.can_decide:
            panel.refusal = _(
                "You prepared this version (upload, mapping, match decisions, a job, "
                "submission or a change) or approved another of its steps: another "
                "member of your group must decide this step."
            )
    return panel


def is_reviewer(user: User) -> bool:
    """Whether the user belongs to a group that decides a review step
    (superusers administer: they review only as members of such a group)."""
    return bool(
        FourEyesApprovalTask.objects.filter(
            active=True, groups__in=user.groups.all()
        ).exists()
    )


# -- Comparison with what is published -------------------------------------------------


@dataclass
class Comparison:
    """A version against what it is compared with (the review screen shows the
    counts, the diff screen the rows)."""

    version: DatasetVersion
    baseline: DatasetVersion | None
    #: The baseline is the version of the family's current release.
    is_live: bool
    #: The compared version is itself the current release's.
    itself_live: bool
    diff: dict[str, Any]

    @property
    def withdraws_all(self) -> bool:
        """Publishing would withdraw every declaration now published."""
        baseline = self.baseline
        return bool(
            self.is_live
            and baseline is not None
            and baseline.rows_loaded
            and len(self.diff["removed"]) >= baseline.rows_loaded
        )


def comparison_baseline(
    version: DatasetVersion, *, fallback_to_previous: bool = True
) -> tuple[DatasetVersion | None, bool]:
    """What a version is compared with: the live release's version, else (with
    ``fallback_to_previous``) the previous cleaned version of the family. The
    flag says whether the baseline is live."""
    live = live_version(version.family)
    if live is not None and live.pk != version.pk:
        return live, True
    if not fallback_to_previous:
        return None, False
    previous = (
        DatasetVersion.objects.filter(
            family=version.family,
            status=DatasetVersion.Status.DRAFT,
            number__lt=version.number,
        )
        .order_by("-number")
        .first()
    )
    return previous, False


def version_comparison(
    version: DatasetVersion, *, fallback_to_previous: bool = True
) -> Comparison:
    """The rows a version adds, removes and changes against its baseline (see
    ``comparison_baseline``), by natural key."""
    baseline, is_live = comparison_baseline(
        version, fallback_to_previous=fallback_to_previous
    )
    live = live_version(version.family)
    return Comparison(
        version=version,
        baseline=baseline,
        is_live=is_live,
        itself_live=live is not None and live.pk == version.pk,
        diff=version_diff(version, baseline),
    )


# -- Disclosure preview ----------------------------------------------------------------


@dataclass
class AggregatePreview:
    label: str
    cells: int
    suppressed: int
    rows: list[tuple[str, int, bool]] = field(default_factory=list)


@dataclass
class DisclosurePreview:
    row_level: bool
    threshold: int
    rows: int
    fields: list[str]
    tables: list[AggregatePreview] = field(default_factory=list)


def disclosure_preview(version: DatasetVersion, sample: int = 12) -> DisclosurePreview:
    """What publication will show: every row for row-level families (shortage
    declarations concern no patient), else only the family's aggregates, with the
    disclosure control that publication applies (small counts and the cells that
    would let them be recomputed shown as "< threshold")."""
    schema = get_family(version.family)
    preview = DisclosurePreview(
        row_level=schema.row_level,
        threshold=schema.disclosure_threshold,
        rows=version.rows_loaded,
        fields=[
            str(spec.label)
            for spec in schema.fields
            if (version.completeness or {}).get(spec.name, 0)
        ],
    )
    if schema.row_level:
        return preview
    for item in aggregate_tables(version):
        table = item.table
        cells = [
            cell
            for cell in table.cells.values()
            if cell.row != TOTAL and cell.column != TOTAL
        ]
        shown = AggregatePreview(
            label=str(item.aggregate.label),
            cells=len(cells),
            suppressed=sum(cell.hidden for cell in cells),
        )
        for cell in sorted(cells, key=lambda c: (not c.hidden, -c.count))[:sample]:
            label = " · ".join(
                str(part) for part in (cell.row, cell.column) if part != "n"
            )
            shown.rows.append((label, cell.count, cell.hidden))
        preview.tables.append(shown)
    return preview


# -- Dashboard -------------------------------------------------------------------------


def versions_awaiting(user: User, limit: int = 10) -> list[DatasetVersion]:
    """Versions whose current step this user may decide (never their own)."""
    states = TaskState.objects.filter(
        status=TaskState.STATUS_IN_PROGRESS,
        workflow_state__status=WorkflowState.STATUS_IN_PROGRESS,
        workflow_state__base_content_type_id=DatasetVersion()
        .get_base_content_type()
        .pk,
    ).select_related("task", "workflow_state")
    # Only the steps of the user's groups (superusers included).
    states = states.filter(
        task__in=FourEyesApprovalTask.objects.filter(
            active=True, groups__in=user.groups.all()
        )
    )
    states = list(states.order_by("started_at"))
    # One query for the steps' specific tasks, one for the visible versions.
    tasks = {
        task.pk: task
        for task in Task.objects.filter(pk__in={s.task_id for s in states}).specific()
    }
    versions = versions_visible_to(user).in_bulk(
        [int(s.workflow_state.object_id) for s in states]
    )
    wanted: list[DatasetVersion] = []
    for state in states:
        task = tasks.get(state.task_id)
        version = versions.get(int(state.workflow_state.object_id))
        if not isinstance(task, FourEyesApprovalTask) or version is None:
            continue
        if not task.may_decide(version, user):
            continue
        version.waiting_step = task.name
        version.waiting_since = state.started_at
        wanted.append(version)
        if len(wanted) >= limit:
            break
    return wanted


def pages_awaiting(user: User, limit: int = 10) -> list[Any]:
    """Public pages (visualisations) whose review step this user may decide."""
    from wagtail.models import Page

    page_type = Page().get_base_content_type()
    states = (
        TaskState.objects.filter(
            status=TaskState.STATUS_IN_PROGRESS,
            workflow_state__status=WorkflowState.STATUS_IN_PROGRESS,
            workflow_state__base_content_type_id=page_type.pk,
        )
        .select_related("task", "workflow_state")
        .order_by("started_at")
    )
    states = states.filter(
        task__in=FourEyesApprovalTask.objects.filter(
            active=True, groups__in=user.groups.all()
        )
    )
    wanted = []
    for state in states[: limit * 3]:
        task = state.task.specific
        page = state.workflow_state.content_object
        if isinstance(task, FourEyesApprovalTask) and task.may_decide(page, user):
            page.waiting_step = task.name
            page.waiting_since = state.started_at
            wanted.append(page)
        if len(wanted) >= limit:
            break
    return wanted


def versions_of(user: User, limit: int = 10) -> QuerySet[DatasetVersion]:
    """The versions this user uploaded or created, newest first."""
    from django.db.models import Q

    return with_review_state(
        DatasetVersion.objects.filter(Q(created_by=user) | Q(upload__uploaded_by=user))
        .select_related("upload")
        .order_by("-created_at")
    )[:limit]


def family_label(version: DatasetVersion) -> str:
    schema = FAMILIES.get(version.family)
    return str(schema.label) if schema else version.family
