"""The type of a signed-in user's request.

Every admin view runs behind Wagtail's sign-in (``require_admin_access``), so its
``request.user`` is a ``User``, never ``AnonymousUser``: views, panels and hooks of
the admin are annotated with ``AuthenticatedRequest`` instead of silencing the
type checker at each call of a service (as django-stubs recommends)."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.http import HttpRequest


class AuthenticatedRequest(HttpRequest):
    """An ``HttpRequest`` whose user is signed in (a type, never instantiated)."""

    user: User
