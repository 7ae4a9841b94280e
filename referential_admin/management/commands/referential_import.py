from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from backoffice.exceptions import ApplicationError
from referential_admin.services import referential_import


class Command(BaseCommand):
    help = (
        "Import every standard BDPM file found in DIR into the medicines referential "
        "(create, update, withdraw; never delete)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", type=Path)
        parser.add_argument(
            "--force",
            action="store_true",
            help="Compare every row even when the files are those of the last import.",
        )
        parser.add_argument(
            "--json",
            action="store_true",
            help="Print one JSON object with the counts as the last line.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = referential_import(
                directory=options["directory"],
                source=str(options["directory"]),
                force=options["force"],
            )
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        imp = report.referential_import
        for info in imp.files:
            self.stdout.write(
                _("%(file)s: %(records)s records (%(encoding)s), %(rejected)s rejected")
                % info
            )
        for name, counts in report.counts.items():
            self.stdout.write(
                _(
                    "  %(entity)s: %(created)s created, %(updated)s updated, "
                    "%(withdrawn)s withdrawn, %(unchanged)s unchanged"
                )
                % {"entity": name, **counts.as_dict()}
            )
        for warning in imp.warnings[:20]:
            self.stdout.write(f"  ! {warning}")
        for line in imp.rejected_lines[:20]:
            self.stdout.write(
                _("  rejected: %(file)s line %(line)s: %(reason)s") % line
            )
        summary = report.summary()
        if options["json"]:
            self.stdout.write(json.dumps(summary))
        else:
            self.stdout.write(
                _("Import #%(pk)s finished in %(seconds)s s.")
                % {"pk": imp.pk, "seconds": summary["seconds"]}
            )
