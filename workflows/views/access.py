"""The version a review screen is about, within the user's directorate."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from datasets.models import DatasetVersion
from datasets.selectors import version_visible_to


def version_or_404(request: HttpRequest, pk: int) -> DatasetVersion:
    """The version ``pk`` for a user who may view versions: PermissionDenied
    without the permission, Http404 outside the user's families."""
    if not request.user.has_perm("datasets.view_datasetversion"):
        raise PermissionDenied
    return version_visible_to(request.user, pk)
