"""The project's middleware: where the admin answers, how long a session lives,
the second factor, and the security headers of every answer."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.apps import apps
from django.conf import settings
from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import logout
from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _

from backoffice.accounts import needs_second_factor
from backoffice.roles import families_of, sees_every_family

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


#: Admin screens across every family, for the Data Office and administrators.
DATA_OFFICE_VIEWS = ("wagtailadmin_reports:",)


class FamilyWallMiddleware:
    """Every admin view that Wagtail builds for a model with a ``family`` (its
    viewsets' inspect, edit, delete, history, usage, revisions, workflow and
    chooser screens, editing sessions, bulk actions) answers 404 for an object
    of a family the user's directorate does not own; shared objects (no family)
    stay shared. Wagtail's
    reports, which span every family, answer 403 to directorates.

    The project's own screens check in their services as well; this is the wall
    for the URLs Wagtail adds around them."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., HttpResponse],
        view_args: tuple[object, ...],
        view_kwargs: dict[str, object],
    ) -> None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or sees_every_family(user):
            return None
        if not request.path.startswith(ADMIN_PREFIX):
            return None
        match = request.resolver_match
        if match is not None and match.view_name.startswith(DATA_OFFICE_VIEWS):
            # Wagtail's reports (site history…) span every family's objects.
            raise PermissionDenied
        if "pk" in view_kwargs or "object_id" in view_kwargs:
            # A viewset's screen, or a view naming its model in the URL
            # (editing sessions' ping and release).
            keys = [str(view_kwargs.get("pk", view_kwargs.get("object_id")))]
            model = _model_of(view_func) or _model_named(view_kwargs)
        elif match is not None and match.view_name == "wagtail_bulk_action":
            keys = request.GET.getlist("id")  # bulk actions name their objects
            model = _model_named(view_kwargs)
        else:
            return None
        if model is None or "family" not in {f.name for f in model._meta.fields}:
            return None
        families = set(
            model._default_manager.filter(pk__in=[unquote(key) for key in keys])
            .exclude(family="")
            .values_list("family", flat=True)
        )
        if families - families_of(user):
            raise Http404
        return None


def _model_named(view_kwargs: dict[str, object]) -> type[Model] | None:
    """The model an URL names by ``app_label`` and ``model_name``, if any."""
    try:
        return apps.get_model(
            str(view_kwargs["app_label"]), str(view_kwargs["model_name"])
        )
    except (KeyError, LookupError):
        return None


def _model_of(view_func: Callable[..., HttpResponse]) -> type[Model] | None:
    model = (getattr(view_func, "view_initkwargs", None) or {}).get("model")
    if model is None:
        model = getattr(getattr(view_func, "view_class", None), "model", None)
    if isinstance(model, str):
        model = apps.get_model(model)
    return model if isinstance(model, type) and issubclass(model, Model) else None
