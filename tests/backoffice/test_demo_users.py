from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command
from django.test import RequestFactory

from backoffice import roles
from backoffice.services import DEMO_ACCOUNTS


def test_one_demo_account_per_role_and_idempotent(db: Any, capsys: Any) -> None:
    call_command("create_demo_users")
    call_command("create_demo_users")
    user_model = get_user_model()
    assert user_model.objects.count() == len(roles.ALL_GROUPS)
    out = capsys.readouterr().out
    for account in DEMO_ACCOUNTS:
        user = authenticate(
            RequestFactory().post("/admin/login/"),
            username=account.username,
            password=account.password,
        )
        assert user is not None
        assert list(user.groups.values_list("name", flat=True)) == [account.group]
        assert account.username in out
    assert {a.group for a in DEMO_ACCOUNTS} == set(roles.ALL_GROUPS)
    assert user_model.objects.get(username="admin").is_superuser
    assert not user_model.objects.get(username="declarant.inspection").is_superuser


def test_demo_accounts_are_refused_in_production(db: Any, settings: Any) -> None:
    settings.DATAMED_ENVIRONMENT = "production"
    with pytest.raises(CommandError):
        call_command("create_demo_users")
    assert get_user_model().objects.count() == 0
