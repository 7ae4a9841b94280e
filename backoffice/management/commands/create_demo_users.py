from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from backoffice.exceptions import ApplicationError
from backoffice.services import demo_users_ensure


class Command(BaseCommand):
    help = "Create (or reset) one demo account per role and print the credentials."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            accounts = demo_users_ensure()
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(_("Demo accounts (password, role):"))
        width = max(len(account.username) for account in accounts)
        for account in accounts:
            name = account.username.ljust(width)
            self.stdout.write(f"  {name}  {account.password}  {account.group}")
