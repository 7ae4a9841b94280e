"""The review screen of a dataset version and its actions (submit or resume,
approve or request changes, withdraw). Each view authorises, calls one service
or selector and renders; refusals come back as French messages."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from backoffice.exceptions import ApplicationError
from backoffice.http import AuthenticatedRequest
from datasets import selectors as dataset_selectors
from datasets.families import get_family
from datasets.models import DatasetVersion, MappingProfile, Upload
from datasets.permissions import version_edit_error
from workflows import selectors, services
from workflows.gate import gate_criteria
from workflows.views.access import version_or_404


def _review_response(
    request: AuthenticatedRequest,
    version: Any,
    *,
    decide_error: str = "",
    comment: str = "",
    status: int = 200,
) -> HttpResponse:
    schema = get_family(version.family)
    draft = version.status == version.Status.DRAFT
    comparison = (
        selectors.version_comparison(version, fallback_to_previous=False)
        if draft
        else None
    )
    return TemplateResponse(
        request,
        "workflows/review.html",
        {
            "version": version,
            "schema": schema,
            "panel": selectors.review_panel(version, request.user),
            "gate_criteria": gate_criteria(version.family),
            "report": dataset_selectors.quality_report(version) if draft else None,
            "left_out": dataset_selectors.left_out_reasons(version),
            "diff": comparison.diff if comparison else None,
            "baseline": comparison.baseline if comparison else None,
            "disclosure": selectors.disclosure_preview(version) if draft else None,
            "aliases": dataset_selectors.alias_changes(
                version, comparison.baseline if comparison else None
            )
            if draft
            else [],
            "reclean": _reclean_choices(request, version),
            "decide_error": decide_error,
            "comment": comment,
            "history_url": reverse(
                "wagtailsnippets_datasets_datasetversion:history", args=[version.pk]
            ),
            "page_title": _("Review – %(family)s – %(version)s")
            % {"family": schema.label, "version": version},
            "header_icon": "tasks",
        },
        status=status,
    )


def review_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Everything a reviewer needs to decide: status and steps, the note, the
    numbers of the quality report, changes against the live release, the match
    decisions, what publication will suppress, and the downloads."""
    return _review_response(request, version_or_404(request, pk))


def _reclean_choices(
    request: AuthenticatedRequest, version: Any
) -> dict[str, Any] | None:
    """Uploads and mapping versions a correction may use, when one is allowed."""
    if not request.user.has_perm("datasets.change_datasetversion"):
        return None
    if version_edit_error(version) is not None and version.status != "failed":
        return None
    return {
        "uploads": dataset_selectors.uploads_visible_to(request.user)
        .filter(family=version.family, status=Upload.Status.PROFILED)
        .order_by("-uploaded_at")[:30],
        "mappings": MappingProfile.objects.filter(family=version.family).order_by(
            "name", "-version"
        )[:50],
    }


def _back(pk: int) -> HttpResponse:
    return redirect("workflows_review", pk=pk)


@require_POST
def submit_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Submit the version (with its note), or resume after changes."""
    version = version_or_404(request, pk)
    note = request.POST.get("note")
    try:
        state = services.version_submit(
            version=version,
            user=request.user,
            note=note,
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return _back(pk)
    if state.status == state.STATUS_NEEDS_CHANGES:
        messages.warning(
            request,
            _(
                "The automatic quality gate sent the version back: read its reasons "
                "below, correct the version, then resume."
            ),
        )
    else:
        messages.success(
            request,
            _("Version submitted: it now awaits “%(task)s”.")
            % {"task": state.current_task_state.task.name},
        )
    return _back(pk)


@require_POST
def decide_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Approve the current step (the last one with an optional publication date),
    or request changes with a comment. A refusal shows the screen again with the
    comment kept."""
    version = version_or_404(request, pk)
    action = request.POST.get("action", "")
    comment = request.POST.get("comment", "")
    publish_at = None
    if request.POST.get("publish_at"):
        publish_at = parse_datetime(request.POST["publish_at"])
        if publish_at is None:
            return _review_response(
                request,
                version,
                decide_error=_("The publication date is not a valid date."),
                comment=comment,
                status=400,
            )
        if timezone.is_naive(publish_at):
            publish_at = timezone.make_aware(publish_at)
    try:
        task_state = services.version_decide(
            version=version,
            user=request.user,
            action=action,
            comment=comment,
            publish_at=publish_at,
        )
    except ApplicationError as exc:
        return _review_response(
            request, version, decide_error=exc.message, comment=comment, status=400
        )
    messages.success(request, _decision_message(version, task_state))
    return _back(pk)


def _decision_message(version: Any, task_state: Any) -> str:
    if task_state.status == task_state.STATUS_REJECTED:
        return _("Changes requested: the submitter has been told.")
    status = dataset_selectors.review_status(DatasetVersion.objects.get(pk=version.pk))
    if status.code == "published":
        return _("Approved: the version is published.")
    if status.code == "scheduled":
        return _("Approved: the version will be published on %(date)s.") % {
            "date": date_format(timezone.localtime(status.when), "DATETIME_FORMAT")
        }
    return _("Step approved: the version now awaits “%(task)s”.") % {
        "task": status.task
    }


@require_POST
def cancel_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Withdraw the version from review."""
    version = version_or_404(request, pk)
    try:
        services.version_cancel(
            version=version,
            user=request.user,
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The version has been withdrawn from review."))
    return _back(pk)
