"""Signed-in test clients."""

from __future__ import annotations

from typing import Any

from django.test import Client, RequestFactory

from tests.factories.users import PASSWORD


def login(user: Any) -> Client:
    client = Client()
    # django-axes counts sign-ins per request: the test client's login gives one.
    assert client.login(
        request=RequestFactory().post("/admin/login/"),
        username=user.username,
        password=PASSWORD,
    )
    return client
