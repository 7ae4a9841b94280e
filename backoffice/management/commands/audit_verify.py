from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from backoffice.audit import audit_verify


class Command(BaseCommand):
    help = "Check the audit trail's hash chain from its first entry."

    def handle(self, *args: Any, **options: Any) -> None:
        result = audit_verify()
        if result.broken is not None:
            reason = {
                "changed": _("This entry was changed after it was written."),
                "missing": _("This entry was deleted."),
                "reordered": _("The chain was cut or reordered before this entry."),
            }[result.broken.reason]
            raise CommandError(
                _(
                    "The audit trail was altered at link %(position)s (entry "
                    "%(key)s): %(reason)s"
                )
                % {
                    "position": result.broken.position,
                    "key": result.broken.key,
                    "reason": reason,
                }
            )
        self.stdout.write(
            _("Audit trail intact: %(count)s entries checked.")
            % {"count": result.checked}
        )
        if result.unsealed:
            self.stdout.write(
                _(
                    "%(count)s entries carry no seal yet (run audit_seal; entries "
                    "written outside the application also show here)."
                )
                % {"count": result.unsealed}
            )
