"""Services of the project shell: demo accounts."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from backoffice import roles
from backoffice.exceptions import ApplicationError


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    group: str
    first_name: str
    last_name: str


DEMO_PASSWORD = "demo-datamed-2026"  # noqa: S105 - demo accounts only, never in production

DEMO_ACCOUNTS = (
    DemoAccount(
        "declarant.inspection",
        DEMO_PASSWORD,
        roles.INSPECTION_DECLARANTS,
        "Camille",
        "Martin",
    ),
    DemoAccount(
        "relecteur.inspection",
        DEMO_PASSWORD,
        roles.INSPECTION_REVIEWERS,
        "Dominique",
        "Bernard",
    ),
    DemoAccount(
        "declarant.surveillance",
        DEMO_PASSWORD,
        roles.SURVEILLANCE_DECLARANTS,
        "Alex",
        "Petit",
    ),
    DemoAccount(
        "relecteur.surveillance",
        DEMO_PASSWORD,
        roles.SURVEILLANCE_REVIEWERS,
        "Sacha",
        "Durand",
    ),
    DemoAccount(
        "gestionnaire.dataoffice", DEMO_PASSWORD, roles.DATA_OFFICE, "Claude", "Moreau"
    ),
    DemoAccount(
        "admin", DEMO_PASSWORD, roles.ADMINISTRATORS, "Administrateur", "DataMed"
    ),
)


#: The settings under which demo accounts may exist.
DEMO_ENVIRONMENTS = ("development", "test")

#: Demo accounts are recognised by name or by their e-mail domain.
DEMO_EMAIL_DOMAIN = "demo.datamed.invalid"


def demo_accounts_present() -> list[str]:
    """Usernames of the demo accounts found in the database."""
    names = [account.username for account in DEMO_ACCOUNTS]
    return sorted(
        get_user_model()
        .objects.filter(
            Q(username__in=names) | Q(email__iendswith=f"@{DEMO_EMAIL_DOMAIN}")
        )
        .values_list("username", flat=True)
    )


def refuse_demo_accounts() -> None:
    """Outside development, raise ImproperlyConfigured (the server does not
    start) while a demo account exists: its password is public."""
    if settings.DATAMED_ENVIRONMENT in DEMO_ENVIRONMENTS:
        return
    present = demo_accounts_present()
    if present:
        accounts = ", ".join(present)
        raise ImproperlyConfigured(
            f"Demo accounts exist in this database ({accounts}): delete them "
            "before starting DataMed with the production settings."
        )


@transaction.atomic
def demo_users_ensure() -> list[DemoAccount]:
    """Create or reset one account per role (idempotent) and return them.

    Raises ApplicationError with any settings but development (and the tests'):
    demo accounts never exist elsewhere.
    """
    if settings.DATAMED_ENVIRONMENT not in DEMO_ENVIRONMENTS:
        raise ApplicationError(
            _("Demo accounts are created only with the development settings.")
        )
    user_model = get_user_model()
    for account in DEMO_ACCOUNTS:
        user, _created = user_model.objects.get_or_create(
            username=account.username,
            defaults={"email": f"{account.username}@{DEMO_EMAIL_DOMAIN}"},
        )
        user.first_name = account.first_name
        user.last_name = account.last_name
        user.is_active = True
        user.is_superuser = account.group == roles.ADMINISTRATORS
        user.is_staff = user.is_superuser
        user.set_password(account.password)
        user.full_clean()
        user.save()
        user.groups.set([Group.objects.get(name=account.group)])
    return list(DEMO_ACCOUNTS)
