from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from backoffice.exceptions import ApplicationError
from datasets.families import get_family
from datasets.services import extract_ingest, extract_ingest_parts


class Command(BaseCommand):
    help = (
        "Upload FILE as an extract of the family KIND, profile it, map it (named "
        "profile or automatic suggestion) and clean it into a draft version."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "file",
            type=Path,
            nargs="+",
            help="The file; for a multi-table family its files, a zip or a workbook.",
        )
        parser.add_argument(
            "--kind", required=True, help="Data family, e.g. shortages."
        )
        parser.add_argument("--profile", default="", help="Mapping profile name.")
        parser.add_argument("--user", default="", help="Username recorded as uploader.")
        parser.add_argument("--sheet", default="", help="Workbook sheet to read.")
        parser.add_argument(
            "--json",
            action="store_true",
            help="Print one JSON object with the counts as the last line.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        user = None
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(
                    _("No user named %(user)s.") % {"user": options["user"]}
                )
        paths: list[Path] = options["file"]
        try:
            if get_family(options["kind"]).parts is not None:
                version = extract_ingest_parts(
                    paths=paths,
                    family=options["kind"],
                    user=user,
                    profile_name=options["profile"],
                )
            elif len(paths) > 1:
                raise CommandError(
                    _("Extracts of this family are a single file: give one file.")
                )
            else:
                version = extract_ingest(
                    path=paths[0],
                    family=options["kind"],
                    user=user,
                    profile_name=options["profile"],
                    sheet=options["sheet"] or None,
                )
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        assembly = version.assembly or {}
        rows_read: Any = version.rows_read
        if assembly:
            rows_read = {
                key.removeprefix("rows_"): value
                for key, value in assembly.items()
                if key.startswith("rows_")
            }
        summary = {
            "upload": version.upload_id,
            "version": version.pk,
            "rows_read": rows_read,
            "rows_loaded": version.rows_loaded,
            "rows_rejected": version.rows_rejected,
            "issues": dict(sorted(version.issue_counts.items())),
            "matches": version.match_counts,
            "seconds": round(time.monotonic() - started, 3),
        }
        if "cases" in assembly:
            summary["cases"] = assembly["cases"]
            summary["records"] = version.rows_read
            summary["assembly"] = assembly
        if options["json"]:
            self.stdout.write(json.dumps(summary))
            return
        self.stdout.write(
            _(
                "%(version)s of upload no. %(upload)s: %(read)s rows read, "
                "%(loaded)s loaded, %(rejected)s left out, in %(seconds)s s."
            )
            % {
                "version": version,
                "upload": version.upload_id,
                "read": version.rows_read,
                "loaded": version.rows_loaded,
                "rejected": version.rows_rejected,
                "seconds": summary["seconds"],
            }
        )
        for code, count in summary["issues"].items():
            self.stdout.write(f"  {code}: {count}")
