from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from datasets.families import get_family
from datasets.models import DatasetVersion
from publications.aggregates import release_tables


class Command(BaseCommand):
    help = (
        "Print the tables a release of VERSION would publish, after disclosure "
        "control, in the API's shape."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("version", type=int, help="Id of the dataset version.")
        parser.add_argument(
            "--json",
            action="store_true",
            help="Print one JSON object with every table as the last line.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        version = DatasetVersion.objects.filter(pk=options["version"]).first()
        if version is None:
            raise CommandError(
                _("No dataset version with id %(id)s.") % {"id": options["version"]}
            )
        if version.status != DatasetVersion.Status.DRAFT:
            raise CommandError(
                _("Version %(id)s has not been cleaned successfully.")
                % {"id": version.pk}
            )
        schema = get_family(version.family)
        if schema.tables is None:
            raise CommandError(
                _("The family %(family)s publishes no tables of counts.")
                % {"family": schema.label}
            )
        tables = release_tables(version)
        summary = {
            "family": version.family,
            "version": version.pk,
            "threshold": schema.disclosure_threshold,
            "tables": tables,
        }
        if options["json"]:
            self.stdout.write(json.dumps(summary, ensure_ascii=False, default=str))
            return
        for name, table in tables.items():
            self.stdout.write(
                _("%(name)s: %(rows)s rows, %(hidden)s hidden")
                % {
                    "name": name,
                    "rows": len(table["rows"]),
                    "hidden": sum(r["status"] == "suppressed" for r in table["rows"]),
                }
            )
