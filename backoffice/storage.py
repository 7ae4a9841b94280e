"""The private file storage: raw extracts and uploaded referential files.

They live under ``PRIVATE_ROOT``, outside ``MEDIA_ROOT`` and every folder a web
server serves, and have no URL: the back office hands them out only through its
permission-checked views, as attachments. No web server may serve that folder.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage


def private_root() -> Path:
    """The folder of private files (read at each call: tests move it)."""
    return Path(settings.PRIVATE_ROOT)


class PrivateStorage(FileSystemStorage):
    """File storage under ``PRIVATE_ROOT``, without URLs."""

    @property
    def base_location(self) -> str:
        return str(private_root())

    @property
    def location(self) -> str:
        return os.path.abspath(self.base_location)

    def url(self, name: str | None) -> str:
        raise ValueError("Private files have no URL: use the download view.")


def private_storage() -> PrivateStorage:
    """The storage of raw files (a callable, so that migrations name it)."""
    return PrivateStorage()
