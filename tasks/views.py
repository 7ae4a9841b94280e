"""Admin screens of the jobs ("Travaux"): list, detail, cancel, retry, live status.

Views only parse, authorise and call one service (house rule 2).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.defaultfilters import date as date_filter
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST
from wagtail.admin.ui.tables import Column, DateColumn, TitleColumn, UserColumn
from wagtail.admin.views import generic

from backoffice.exceptions import ApplicationError
from backoffice.http import AuthenticatedRequest
from tasks import services
from tasks.filters import JobRunFilterSet
from tasks.models import JobRun
from tasks.permissions import can_manage_run


class StatusColumn(Column):
    cell_template_name = "tasks/cells/status_cell.html"


class ProgressColumn(Column):
    cell_template_name = "tasks/cells/progress_cell.html"


class JobRunIndexView(generic.IndexView):
    filterset_class = JobRunFilterSet
    page_title = gettext_lazy("Jobs")
    default_ordering = "-created_at"
    template_name = "tasks/jobrun_index.html"

    def get_base_queryset(self) -> Any:
        return (
            JobRun.objects.visible_to(self.request.user)
            .select_related("created_by")
            .defer("log", "traceback")
        )

    @property
    def columns(self) -> list[Any]:
        return [
            TitleColumn(
                "kind",
                label=_("Job"),
                accessor=str,
                get_url=lambda run: reverse("jobs:inspect", args=[run.pk]),
            ),
            Column("target_label", label=_("Target")),
            StatusColumn("status", label=_("Status")),
            ProgressColumn("progress", label=_("Progress")),
            UserColumn("created_by", label=_("Started by")),
            DateColumn("created_at", label=_("Created"), sort_key="created_at"),
        ]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["status_url"] = reverse("jobs:status")
        context["selfcheck_url"] = (
            reverse("jobs:selfcheck")
            if self.request.user.has_perm("tasks.manage_jobrun")
            else None
        )
        return context


class JobRunInspectView(generic.InspectView):
    template_name = "tasks/jobrun_inspect.html"

    def get_object(self, queryset: Any = None) -> JobRun:
        return get_object_or_404(
            JobRun.objects.visible_to(self.request.user).select_related("created_by"),
            pk=self.pk,
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        run: JobRun = self.object
        manage = can_manage_run(self.request.user, run)
        context.update(
            run=run,
            can_cancel=manage and run.can_cancel,
            can_retry=manage and run.can_retry,
            show_traceback=self.request.user.has_perm("tasks.manage_jobrun"),
            status_url=reverse("jobs:status"),
        )
        return context


def _visible_run(request: AuthenticatedRequest, pk: int) -> JobRun:
    return get_object_or_404(JobRun.objects.visible_to(request.user), pk=pk)


@require_POST
def cancel_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    run = _visible_run(request, pk)
    if not can_manage_run(request.user, run):
        raise PermissionDenied
    try:
        services.job_cancel(run=run, user=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("Cancellation of “%(job)s” requested.") % {"job": run}
        )
    return redirect("jobs:inspect", run.pk)


@require_POST
def retry_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    run = _visible_run(request, pk)
    if not can_manage_run(request.user, run):
        raise PermissionDenied
    try:
        with transaction.atomic():
            services.job_retry(run=run, user=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("“%(job)s” was sent again.") % {"job": run})
    return redirect("jobs:inspect", run.pk)


@require_POST
def selfcheck_view(request: AuthenticatedRequest) -> HttpResponse:
    if not request.user.has_perm("tasks.manage_jobrun"):
        raise PermissionDenied
    with transaction.atomic():
        run = services.job_enqueue(
            kind="platform.selfcheck",
            params={"pause_seconds": 0.5},
            user=request.user,
            target_label=_("Platform"),
        )
    messages.success(request, _("Self-check started."))
    return redirect("jobs:inspect", run.pk)


@require_GET
def status_view(request: AuthenticatedRequest) -> JsonResponse:
    """Current state of the requested runs, for the live progress bars."""
    raw_ids = request.GET.get("ids", "")
    ids = [int(part) for part in raw_ids.split(",") if part.strip().isdigit()][:200]
    runs = JobRun.objects.visible_to(request.user).filter(pk__in=ids)
    payload = {
        str(run.pk): {
            "status": run.status,
            "status_label": str(run.get_status_display()),
            "percent": run.percent,
            "done": run.progress_done,
            "total": run.progress_total,
            "stage": run.stage,
            "error": run.error,
            "active": run.is_active,
            "finished_at": date_filter(run.finished_at, "DATETIME_FORMAT")
            if run.finished_at
            else "",
        }
        for run in runs.only(
            "pk",
            "status",
            "progress_done",
            "progress_total",
            "stage",
            "error",
            "finished_at",
        )
    }
    return JsonResponse({"runs": payload})
