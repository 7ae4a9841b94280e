"""Template helpers of the families' public sections."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import template

register = template.Library()


@register.filter
def get_item(mapping: Mapping[str, Any] | None, key: str) -> Any:
    """``mapping[key]``, or None (a chart a breakdown did not get)."""
    return (mapping or {}).get(key)
