"""The account screens of the back office: the second factor and the lockout
answer of too many failed sign-ins."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from backoffice.accounts import (
    device_for_setup,
    device_pending,
    qr_code_svg,
    second_factor_verify,
    totp_secret,
)


def next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("wagtailadmin_home")


@never_cache
@sensitive_post_parameters("token")
@login_required
def second_factor_view(request: HttpRequest) -> HttpResponse:
    """Set up (first visit) or check the account's authenticator code; a good
    code verifies the session and goes on to where the user was heading."""
    user = request.user
    if not user.is_authenticated:  # login_required has sent anonymous users away
        return HttpResponseRedirect(reverse("wagtailadmin_login"))
    error = ""
    if request.method == "POST":
        if second_factor_verify(
            request=request, user=user, token=request.POST.get("token", "")
        ):
            return HttpResponseRedirect(next_url(request))
        error = _("This code is not valid: type the code your application shows now.")
    verified = bool(getattr(user, "is_verified", lambda: False)())
    context: dict[str, Any] = {
        "verified": verified and request.method != "POST",
        "error": error,
        "next": next_url(request),
        "setting_up": device_pending(user) is None,
    }
    if context["setting_up"] and not context["verified"]:
        device = device_for_setup(user)
        context["qr_code"] = qr_code_svg(device)
        context["secret"] = totp_secret(device)
    return render(request, "backoffice/second_factor.html", context, status=200)


def lockout_view(
    request: HttpRequest, credentials: Any = None, **_: Any
) -> HttpResponse:
    """django-axes' answer once a (user name, address) pair is locked out: a
    French page saying for how long (HTTP 429)."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(
        request,
        "backoffice/lockout.html",
        {"failure_limit": settings.AXES_FAILURE_LIMIT, "cooloff_minutes": minutes},
        status=429,
    )
