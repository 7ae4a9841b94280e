"""How a service running inside a job reports progress, logs and sees cancellation.

Services accept any ``ProgressReporter``; ``NullProgress`` lets them run without a job.
"""

from __future__ import annotations

from typing import Protocol

from django.utils.translation import gettext as _


class JobCancelled(Exception):
    """Raised inside a job when its cancellation was requested."""

    def __init__(self) -> None:
        super().__init__(_("The job was cancelled at the user's request."))


class ProgressReporter(Protocol):
    def update(
        self, done: int, total: int | None = None, stage: str | None = None
    ) -> None:
        """Record progress; raises JobCancelled when cancellation was requested."""

    def log(self, message: str) -> None:
        """Append one line to the job's log."""


class NullProgress:
    """A reporter that records nothing, for services called outside a job."""

    def update(
        self, done: int, total: int | None = None, stage: str | None = None
    ) -> None:
        return None

    def log(self, message: str) -> None:
        return None
