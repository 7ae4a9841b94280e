"""Reads of what is published, for the apps and screens that compare with it."""

from __future__ import annotations

from datasets.models import DatasetVersion
from publications.models import Release


def live_version(family: str) -> DatasetVersion | None:
    """The version the family's current release shows, or None before any."""
    release = Release.objects.current(family)
    return release.version if release is not None else None
