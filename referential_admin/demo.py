"""Demo data of the referential: the bundled trimmed BDPM extract."""

from __future__ import annotations

from pathlib import Path

from django.utils.translation import gettext as _

from referential_admin.models import Speciality
from referential_admin.services import referential_import

DEMO_BDPM = Path(__file__).resolve().parent / "demo_data" / "bdpm"


def load() -> list[str]:
    """Import the demo BDPM extract unless the referential already holds data."""
    if Speciality.objects.exists():
        return [_("Referential: already loaded, left as is.")]
    report = referential_import(directory=DEMO_BDPM, source=_("Bundled demo extract"))
    summary = report.summary()
    return [
        _(
            "Referential: %(specialities)s specialities, "
            "%(presentations)s presentations imported."
        )
        % summary
    ]
