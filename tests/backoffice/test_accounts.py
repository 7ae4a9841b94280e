"""Signing in: lockout after repeated failures, sessions that end, the second
factor, the admin's own host name and the security headers (issue #14, §11–12)."""

from __future__ import annotations

import logging
import time
from typing import Any

from axes.models import AccessAttempt, AccessFailureLog
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from backoffice.middleware import ADMIN_CSP, PUBLIC_CSP, IdleSessionMiddleware
from backoffice.views import next_url
from tests.factories.users import PASSWORD

LOGIN = "/admin/login/"


def sign_in(client: Client, username: str, password: str) -> Any:
    return client.post(
        LOGIN, {"username": username, "password": password, "next": "/admin/"}
    )


def code_of(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():0{device.digits}d}"


def test_repeated_failed_sign_ins_lock_the_account_out_for_that_address(
    personas: dict[str, Any], settings: Any
) -> None:
    client = Client()
    user = personas["inspection_declarant"]
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = sign_in(client, user.username, "wrong password")
    assert response.status_code in (200, 429)
    # The right password no longer opens the door until the cool-off ends.
    locked = sign_in(client, user.username, PASSWORD)
    assert locked.status_code == 429
    assert "Connexion bloquée" in locked.content.decode()
    assert "15 minutes" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    assert AccessFailureLog.objects.filter(username=user.username).count() >= 5
    # Another account from the same address is not locked.
    other = sign_in(Client(), personas["inspection_reviewer"].username, PASSWORD)
    assert other.status_code == 302


def test_a_good_sign_in_resets_the_failure_count(personas: dict[str, Any]) -> None:
    client = Client()
    user = personas["inspection_declarant"]
    sign_in(client, user.username, "wrong password")
    assert AccessAttempt.objects.filter(username=user.username).exists()
    assert sign_in(client, user.username, PASSWORD).status_code == 302
    assert not AccessAttempt.objects.filter(username=user.username).exists()


def test_failed_sign_ins_are_logged(personas: dict[str, Any], caplog: Any) -> None:
    with caplog.at_level(logging.WARNING, logger="datamed.security"):
        sign_in(Client(), "inspection_declarant", "wrong password")
    assert any(
        "Failed sign-in" in r.getMessage() and "inspection_declarant" in r.getMessage()
        for r in caplog.records
    )


def test_a_session_lasts_a_working_day_and_ends_when_idle(
    personas: dict[str, Any], settings: Any
) -> None:
    client = Client()
    assert sign_in(client, "inspection_declarant", PASSWORD).status_code == 302
    assert client.session.get_expiry_age() <= 10 * 3600
    assert client.get("/admin/").status_code == 200
    session = client.session
    session[IdleSessionMiddleware.KEY] = (
        int(time.time()) - settings.SESSION_IDLE_SECONDS - 1
    )
    session.save()
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    assert "_auth_user_id" not in client.session
    followed = client.get(response["Location"])
    assert "sans activité" in followed.content.decode()


def test_data_office_must_give_a_second_factor_when_required(
    personas: dict[str, Any], settings: Any
) -> None:
    settings.DATAMED_REQUIRE_TOTP = True
    client = Client()
    assert sign_in(client, "data_office", PASSWORD).status_code == 302
    response = client.get("/admin/donnees/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/securite/?next=")
    setup = client.get(response["Location"])
    page = setup.content.decode()
    assert "<svg" in page and "application d’authentification" in page.replace("'", "’")
    device = TOTPDevice.objects.get(user=personas["data_office"], confirmed=False)
    refused = client.post("/admin/securite/", {"token": "000000", "next": "/admin/"})
    assert "n’est pas valide" in refused.content.decode().replace("'", "’")
    assert client.get("/admin/").status_code == 302
    # django-otp slows repeated failures down (one second after the first).
    device.refresh_from_db()
    device.throttle_reset()
    accepted = client.post(
        "/admin/securite/", {"token": code_of(device), "next": "/admin/donnees/"}
    )
    assert accepted.status_code == 302 and accepted["Location"] == "/admin/donnees/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/admin/").status_code == 200


def test_the_second_factor_leads_only_to_this_site(rf: Any) -> None:

    hostile = rf.post("/admin/securite/", {"next": "https://evil.example/admin/"})
    assert next_url(hostile) == "/admin/"
    inside = rf.post("/admin/securite/", {"next": "/admin/donnees/"})
    assert next_url(inside) == "/admin/donnees/"


def test_a_declarant_is_not_asked_until_they_set_one_up(
    personas: dict[str, Any], settings: Any
) -> None:
    settings.DATAMED_REQUIRE_TOTP = True
    client = Client()
    sign_in(client, "inspection_declarant", PASSWORD)
    assert client.get("/admin/").status_code == 200
    TOTPDevice.objects.create(user=personas["inspection_declarant"], confirmed=True)
    assert client.get("/admin/").status_code == 302


def test_the_admin_answers_on_its_own_host_only(
    personas: dict[str, Any], settings: Any
) -> None:
    settings.DATAMED_ADMIN_HOST = "admin.datamed.test"
    settings.ALLOWED_HOSTS = ["admin.datamed.test", "datamed.test"]
    client = Client()
    assert client.get(LOGIN, HTTP_HOST="datamed.test").status_code == 404
    assert client.get(LOGIN, HTTP_HOST="admin.datamed.test").status_code == 200
    assert client.get("/api/v1/", HTTP_HOST="admin.datamed.test").status_code == 404


def test_answers_carry_a_content_security_policy(db: Any) -> None:
    client = Client()
    public = client.get("/api/v1/")
    assert public["Content-Security-Policy"] == PUBLIC_CSP
    assert "script-src 'self';" in PUBLIC_CSP and "frame-ancestors 'none'" in PUBLIC_CSP
    assert "camera=()" in public["Permissions-Policy"]
    admin = client.get(LOGIN)
    assert admin["Content-Security-Policy"] == ADMIN_CSP
    assert "camera=()" in admin["Permissions-Policy"]


def test_every_account_reaches_its_second_factor_from_its_account_page(
    personas: dict[str, Any],
) -> None:
    client = Client()
    client.force_login(personas["inspection_declarant"])
    page = client.get("/admin/account/").content.decode()
    assert 'href="/admin/securite/"' in page
    assert "Second facteur" in page
