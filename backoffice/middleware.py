"""The project's middleware: where the admin answers, how long a session lives,
the second factor, and the security headers of every answer."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _

from backoffice.accounts import needs_second_factor

Handler = Callable[[HttpRequest], HttpResponse]

ADMIN_PREFIX = "/admin/"
#: What a signed-in user still reaches without the second factor.
_OPEN_TO_UNVERIFIED = (
    "/admin/login/",
    "/admin/logout/",
    "/admin/securite/",
    "/admin/jsi18n/",
)


def _host(request: HttpRequest) -> str:
    return request.get_host().split(":", 1)[0].lower()


class AdminHostMiddleware:
    """With ``DATAMED_ADMIN_HOST`` set, the admin answers on that host only and
    the public site on every other host (404 otherwise)."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        admin_host = settings.DATAMED_ADMIN_HOST.lower()
        if admin_host:
            on_admin_host = _host(request) == admin_host
            in_admin = request.path.startswith(ADMIN_PREFIX)
            shared = request.path.startswith((settings.STATIC_URL, "/favicon"))
            if not shared and in_admin != on_admin_host:
                raise Http404
        return self.get_response(request)


class IdleSessionMiddleware:
    """A session unused for ``SESSION_IDLE_SECONDS`` ends: the user signs in
    again (the session itself lasts at most ``SESSION_COOKIE_AGE``)."""

    KEY = "datamed_last_seen"

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = int(time.time())
            last = request.session.get(self.KEY)
            if last is not None and now - int(last) > settings.SESSION_IDLE_SECONDS:
                logout(request)
                if request.path.startswith(ADMIN_PREFIX):
                    messages.warning(
                        request,
                        _(
                            "Your session ended after %(minutes)s minutes without "
                            "activity: sign in again."
                        )
                        % {"minutes": settings.SESSION_IDLE_SECONDS // 60},
                    )
                    return _to_login(request)
            else:
                request.session[self.KEY] = now
        return self.get_response(request)


def _to_login(request: HttpRequest) -> HttpResponseRedirect:
    target = reverse("wagtailadmin_login")
    next_url = request.get_full_path()
    if url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        target += "?" + urlencode({"next": next_url})
    return HttpResponseRedirect(target)


class SecondFactorMiddleware:
    """A signed-in user who must use a second factor (``needs_second_factor``)
    reaches the admin only once verified in this session: until then, every
    admin page leads to the second-factor screen."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            request.path.startswith(ADMIN_PREFIX)
            and not request.path.startswith(_OPEN_TO_UNVERIFIED)
            and user.is_authenticated
            and not getattr(user, "is_verified", lambda: False)()
            and needs_second_factor(user)
        ):
            target = reverse("backoffice_second_factor")
            return HttpResponseRedirect(
                target + "?" + urlencode({"next": request.get_full_path()})
            )
        return self.get_response(request)


#: The public portal runs no script of its own beyond the State design system's
#: (served from this site), loads nothing from elsewhere and is framed by no one.
PUBLIC_CSP = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        # Bars of the count tables and the agency's colour are inline styles.
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "manifest-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    )
)
#: Wagtail's admin: its own scripts and styles (some inline), previews framed by
#: the admin itself, images as data or blob URLs while uploading.
ADMIN_CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "form-action 'self'",
        "frame-ancestors 'self'",
        "base-uri 'self'",
    )
)
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "camera",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
        "interest-cohort",
    )
)


class SecurityHeadersMiddleware:
    """Content-Security-Policy (strict on the portal, what Wagtail needs on the
    admin) and Permissions-Policy on every answer."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        admin = request.path.startswith(ADMIN_PREFIX)
        response.setdefault(
            "Content-Security-Policy", ADMIN_CSP if admin else PUBLIC_CSP
        )
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        response.setdefault("Referrer-Policy", "same-origin")
        return response
