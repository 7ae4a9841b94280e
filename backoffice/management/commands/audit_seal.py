from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from backoffice.audit import audit_seal


class Command(BaseCommand):
    help = "Seal every audit log entry not sealed yet into the hash chain."

    def handle(self, *args: Any, **options: Any) -> None:
        count = audit_seal(everywhere=True)
        self.stdout.write(_("%(count)s entries sealed.") % {"count": count})
