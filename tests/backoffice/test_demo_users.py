from __future__ import annotations

import importlib
from typing import Any

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.test import RequestFactory

from backoffice import roles
from backoffice.services import DEMO_ACCOUNTS, refuse_demo_accounts


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


@pytest.mark.parametrize("environment", ["production", "staging", ""])
def test_demo_accounts_are_created_only_in_development(
    db: Any, settings: Any, environment: str
) -> None:
    settings.DATAMED_ENVIRONMENT = environment
    with pytest.raises(CommandError, match="développement"):
        call_command("create_demo_users")
    assert get_user_model().objects.count() == 0


def test_production_refuses_to_start_while_a_demo_account_exists(
    db: Any, settings: Any
) -> None:
    import backoffice.wsgi

    call_command("create_demo_users")  # e.g. a copy of a development database
    settings.DATAMED_ENVIRONMENT = "production"
    with pytest.raises(ImproperlyConfigured, match=r"relecteur\.inspection"):
        importlib.reload(backoffice.wsgi)
    get_user_model().objects.filter(username__contains=".").delete()
    get_user_model().objects.filter(username="admin").update(username="chef")
    # Renamed, but still with its demo address: still refused.
    with pytest.raises(ImproperlyConfigured, match="chef"):
        refuse_demo_accounts()
    get_user_model().objects.all().delete()
    importlib.reload(backoffice.wsgi)  # starts once none is left
    settings.DATAMED_ENVIRONMENT = "development"
    call_command("create_demo_users")
    refuse_demo_accounts()  # development keeps its demo accounts
