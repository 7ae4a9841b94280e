"""Helpers the services share: the author recorded for an action, quoted names
in messages, the size limits of extracts, read errors in French."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils.translation import gettext as _

from backoffice.exceptions import ApplicationError
from datasets.messages import read_error_message
from datasets.pipeline import read

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


PROFILE_SAMPLE_ROWS = 100_000


def max_upload_bytes() -> int:
    return int(settings.EXTRACT_MAX_BYTES)


def max_uncompressed_bytes() -> int:
    return int(settings.EXTRACT_MAX_UNCOMPRESSED_BYTES)


def author_of(user: AbstractBaseUser | None) -> Any:
    """The user to record as author, or None for a command or an anonymous call."""
    return user if user is not None and user.is_authenticated else None


def quoted(text: object) -> str:
    """Text between the quotation marks of the user's language."""
    return _("“%(text)s”") % {"text": text}


def read_error(exc: read.ReadError, name: str) -> ApplicationError:
    return ApplicationError(read_error_message(exc.code, dict(exc.params), name))
