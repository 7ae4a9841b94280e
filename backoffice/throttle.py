"""Per-client rate limits of the public edge (API, search), counted in the
cache (Redis in production): a fixed window per client address and scope."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """The client's address as the web server saw it (``REMOTE_ADDR``; a proxy
    in front must set it, not a header the client chooses)."""
    return str(request.META.get("REMOTE_ADDR") or "unknown")


def retry_after(request: HttpRequest, scope: str) -> int | None:
    """Count this request; return the seconds to wait when the client went over
    ``settings.DATAMED_RATE_LIMITS[scope]`` requests per window, else None."""
    limit = settings.DATAMED_RATE_LIMITS.get(scope)
    if not limit:
        return None
    window = settings.DATAMED_RATE_WINDOW
    now = int(time.time())
    start = now - now % window
    key = f"throttle:{scope}:{client_address(request)}:{start}"
    if cache.add(key, 1, window + 1):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, window + 1)
            count = 1
    if count > limit:
        return max(1, start + window - now)
    return None
