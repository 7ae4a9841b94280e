"""Errors shared by the apps: services raise these, views turn them into messages."""

from __future__ import annotations


class ApplicationError(Exception):
    """A refused operation, with a message meant for the user (already translated)."""

    def __init__(self, message: str, *, extra: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra or {}


class InvalidTransition(ApplicationError):
    """The object's current state does not allow the requested change."""


class PermissionRefused(ApplicationError):
    """The user may not perform the requested operation."""
