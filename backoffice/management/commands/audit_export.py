from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from backoffice.audit import audit_export


class Command(BaseCommand):
    help = "Export the audit trail with its digests as JSON Lines, for archiving."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("output", type=Path, help="File to write (.jsonl).")

    def handle(self, *args: Any, output: Path, **options: Any) -> None:
        with output.open("w", encoding="utf-8") as stream:
            count = audit_export(stream)
        self.stdout.write(
            _("%(count)s entries exported to %(path)s.")
            % {"count": count, "path": output}
        )
