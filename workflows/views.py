"""The review screen of a dataset version and its actions (submit or resume,
approve or request changes, withdraw). Each view authorises, calls one service
or selector and renders; refusals come back as French messages."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from backoffice.exceptions import ApplicationError
from datasets import selectors as dataset_selectors
from datasets.families import get_family
from datasets.views import _version
from workflows import selectors, services


def review_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Everything a reviewer needs to decide: status and steps, the note, the
    numbers of the quality report, changes against the live release, the match
    decisions, what publication will suppress, and the downloads."""
    version = _version(request, pk)
    schema = get_family(version.family)
    baseline, is_live = dataset_selectors.comparison_baseline(version)
    diff = (
        dataset_selectors.version_diff(version, baseline)
        if version.status == version.Status.DRAFT
        else None
    )
    return TemplateResponse(
        request,
        "workflows/review.html",
        {
            "version": version,
            "schema": schema,
            "panel": selectors.review_panel(version, request.user),  # type: ignore[arg-type]
            "report": dataset_selectors.quality_report(version)
            if version.status == version.Status.DRAFT
            else None,
            "left_out": dataset_selectors.left_out_reasons(version),
            "diff": diff,
            "baseline": baseline,
            "baseline_is_live": is_live,
            "disclosure": selectors.disclosure_preview(version)
            if version.status == version.Status.DRAFT
            else None,
            "reclean": _reclean_choices(request, version),
            "history_url": reverse(
                "wagtailsnippets_datasets_datasetversion:history", args=[version.pk]
            ),
            "edit_url": reverse(
                "wagtailsnippets_datasets_datasetversion:edit", args=[version.pk]
            ),
            "page_title": _("Review of %(family)s – %(version)s")
            % {"family": schema.label, "version": version},
            "header_icon": "tasks",
        },
    )


def _reclean_choices(request: HttpRequest, version: Any) -> dict[str, Any] | None:
    """Uploads and mapping versions a correction may use, when one is allowed."""
    from datasets.models import MappingProfile, Upload
    from datasets.services import version_edit_error

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


def _run(request: HttpRequest, action: Any, success: str) -> None:
    try:
        action()
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success)


@require_POST
def submit_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Submit the version (with its note), or resume after changes."""
    version = _version(request, pk)
    note = request.POST.get("note")
    try:
        state = services.version_submit(
            version=version,
            user=request.user,  # type: ignore[arg-type]
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
def decide_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Approve the current step, or request changes with a comment."""
    version = _version(request, pk)
    action = request.POST.get("action", "")
    comment = request.POST.get("comment", "")
    success = _("Step approved.") if action == "approve" else _("Changes requested.")
    _run(
        request,
        lambda: services.version_decide(
            version=version,
            user=request.user,  # type: ignore[arg-type]
            action=action,
            comment=comment,
        ),
        success,
    )
    return _back(pk)


@require_POST
def cancel_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Withdraw the version from review."""
    version = _version(request, pk)
    _run(
        request,
        lambda: services.version_cancel(
            version=version,
            user=request.user,  # type: ignore[arg-type]
        ),
        _("The version has been withdrawn from review."),
    )
    return _back(pk)
