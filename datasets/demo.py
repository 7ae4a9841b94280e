"""Demo data of the datasets: the bundled BDPM availability file, ingested as a
shortage extract with its ready-made mapping profile."""

from __future__ import annotations

import hashlib

from django.utils.translation import gettext as _

from datasets.models import Upload
from datasets.services import extract_ingest
from referential_admin.demo import DEMO_BDPM

PRESET = "BDPM – CIS_CIP_Dispo_Spec"


def load() -> list[str]:
    """Ingest the demo shortage extract once (a second run changes nothing)."""
    path = DEMO_BDPM / "CIS_CIP_Dispo_Spec.txt"
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    if Upload.objects.filter(family="shortages", sha256=sha).exists():
        return [_("Shortages: demo extract already loaded, left as is.")]
    version = extract_ingest(
        path=path, family="shortages", user=None, profile_name=PRESET
    )
    return [
        _(
            "Shortages: demo extract cleaned into %(version)s (%(loaded)s rows "
            "loaded, %(rejected)s left out)."
        )
        % {
            "version": version,
            "loaded": version.rows_loaded,
            "rejected": version.rows_rejected,
        }
    ]
