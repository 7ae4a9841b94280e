from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from backoffice.demo import load_demo_data


class Command(BaseCommand):
    help = (
        "Load the bundled demo data of every app (idempotent: a second run "
        "changes nothing)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        for line in load_demo_data():
            self.stdout.write(f"  {line}")
