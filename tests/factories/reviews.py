"""A version taken through its whole review by the personas of the team."""

from __future__ import annotations

from typing import Any

from wagtail.models import ModelLogEntry

from datasets.models import DatasetVersion
from workflows import services as review


def approve(version: DatasetVersion, team: dict[str, Any], **kwargs: Any) -> None:
    review.version_submit(version=version, user=team["inspection_declarant"])
    review.version_decide(
        version=version, user=team["inspection_reviewer"], action="approve"
    )
    review.version_decide(
        version=version, user=team["data_office"], action="approve", **kwargs
    )


def logged_actions(version: DatasetVersion) -> list[str]:
    """The audit trail's actions on a version, oldest first."""
    return list(
        ModelLogEntry.objects.filter(
            content_type__model="datasetversion", object_id=str(version.pk)
        )
        .order_by("timestamp", "pk")
        .values_list("action", flat=True)
    )
