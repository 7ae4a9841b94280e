"""Accounts' second factor (TOTP, django-otp): who must use one, the device being
set up, and its verification. Failed sign-ins are counted and kept by
django-axes (see the settings); this module logs them too."""

from __future__ import annotations

import logging
from base64 import b32encode
from io import BytesIO
from typing import Any

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils.safestring import SafeString, mark_safe
from django_otp import login as otp_login
from django_otp import user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice
from wagtail.log_actions import log

from backoffice.roles import group_names

logger = logging.getLogger("datamed.security")

DEVICE_NAME = "DataMed"


def needs_second_factor(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Whether the user signs in with a second factor: always once they have set
    one up, and, when ``DATAMED_REQUIRE_TOTP`` is on (production), every member of
    ``DATAMED_TOTP_GROUPS`` and every superuser."""
    if not user.is_authenticated:
        return False
    if user_has_device(user):
        return True
    if not settings.DATAMED_REQUIRE_TOTP:
        return False
    required = set(settings.DATAMED_TOTP_GROUPS)
    return bool(getattr(user, "is_superuser", False) or group_names(user) & required)


def device_pending(user: AbstractBaseUser) -> TOTPDevice | None:
    """The user's confirmed device, or None when there is none yet."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def device_for_setup(user: AbstractBaseUser) -> TOTPDevice:
    """The unconfirmed device the user is setting up (created once, so that the
    code shown stays the same when the page is reloaded)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def totp_secret(device: TOTPDevice) -> str:
    """The device's key in base 32, as authenticator applications take it by hand."""
    return b32encode(device.bin_key).decode("ascii").rstrip("=")


def qr_code_svg(device: TOTPDevice) -> SafeString:
    """The device's ``otpauth://`` address as an inline SVG QR code."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage)
    buffer = BytesIO()
    image.save(buffer)
    # Made here from the device's own address: no user text in it.
    return mark_safe(buffer.getvalue().decode("utf-8"))  # noqa: S308


@transaction.atomic
def second_factor_verify(
    *, request: HttpRequest, user: AbstractBaseUser, token: str
) -> bool:
    """Check a code from the user's authenticator: a confirmed device, else the
    one being set up (confirmed by its first good code). On success the session
    is verified and the event is in the audit trail; a wrong code returns False
    (django-otp slows down repeated failures)."""
    token = "".join(token.split())
    device = device_pending(user)
    setting_up = device is None
    if device is None:
        device = device_for_setup(user)
    if not token.isdigit() or not device.verify_token(token):
        logger.warning("Second factor refused for user %s", user.pk)
        return False
    if setting_up:
        device.confirmed = True
        device.save(update_fields=["confirmed"])
    otp_login(request, device)
    log(
        instance=user,
        action="datamed.second_factor.setup" if setting_up else "datamed.second_factor",
        user=user,
    )
    return True


@receiver(user_login_failed, dispatch_uid="datamed-login-failed")
def log_login_failure(
    sender: Any,
    credentials: dict[str, Any],
    request: HttpRequest | None = None,
    **kwargs: Any,
) -> None:
    """Every failed sign-in in the logs (django-axes keeps them in the database)."""
    address = request.META.get("REMOTE_ADDR", "") if request is not None else ""
    logger.warning(
        "Failed sign-in for user name %r from %s", credentials.get("username"), address
    )
