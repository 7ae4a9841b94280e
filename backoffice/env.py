"""Typed readers of environment variables that fail loudly on bad values.

Settings read the environment only through these helpers (house rule 12).
"""

from __future__ import annotations

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on", "oui"}
_FALSE = {"0", "false", "no", "off", "non", ""}


def env_str(name: str, default: str | None = None) -> str | None:
    """Return the variable's value, or ``default`` when it is unset or empty."""
    value = os.environ.get(name, "")
    return value if value != "" else default


def env_required(name: str) -> str:
    """Return the variable's value; raise ImproperlyConfigured if unset or empty."""
    value = env_str(name)
    if value is None:
        raise ImproperlyConfigured(f"The environment variable {name} is required.")
    return value


def env_secret(name: str) -> str:
    """Return a secret from ``NAME`` or from the file named by ``NAME_FILE``.

    Raises ImproperlyConfigured when neither is set or the file is unreadable.
    """
    file_name = env_str(f"{name}_FILE")
    if file_name:
        try:
            value = Path(file_name).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ImproperlyConfigured(
                f"{name}_FILE points to an unreadable file: {exc}"
            ) from exc
        if not value:
            raise ImproperlyConfigured(f"{name}_FILE points to an empty file.")
        return value
    return env_required(name)


def env_bool(name: str, default: bool) -> bool:
    """Return a boolean; accepts 1/0, true/false, yes/no, on/off, oui/non."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    lowered = raw.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean, not {raw!r}.")


def env_int(name: str, default: int) -> int:
    """Return an integer; raise ImproperlyConfigured on a non-integer value."""
    raw = env_str(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, not {raw!r}.") from exc


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    """Return a comma-separated list, trimmed, empty items dropped."""
    raw = env_str(name)
    if raw is None:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]
