"""Demo data of the datasets: the bundled BDPM availability file, ingested as a
shortage extract with its ready-made mapping profile; and a pharmacovigilance
extract written by the family's seeded generator from the referential's real
names (no real extract of this family is public)."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

from django.utils.translation import gettext as _

from datasets.families.pharmacovigilance.generator import (
    Medicine,
    brand_of,
    generate,
    write_extract,
)
from datasets.models import Upload
from datasets.services import extract_ingest, extract_ingest_parts
from referential_admin.demo import DEMO_BDPM
from referential_admin.selectors import medicines_with_substances

PRESET = "BDPM – CIS_CIP_Dispo_Spec"


#: Size of the demo pharmacovigilance extract (cases, before versions).
DEMO_CASES = 4000


def load() -> list[str]:
    """Ingest the demo extracts once (a second run changes nothing)."""
    return [_load_shortages(), _load_pharmacovigilance()]


def _load_pharmacovigilance() -> str:
    medicines = [
        Medicine(name, brand_of(name), tuple(substances))
        for name, substances in medicines_with_substances(80)
    ]
    if not medicines:
        return _("Pharmacovigilance: no referential to name the drugs, left out.")
    with tempfile.TemporaryDirectory(prefix="datamed-demo-") as folder:
        paths = write_extract(generate(DEMO_CASES, medicines), Path(folder))
        sha = hashlib.sha256(paths[0].read_bytes()).hexdigest()
        if Upload.objects.filter(family="pharmacovigilance", sha256=sha).exists():
            return _("Pharmacovigilance: demo extract already loaded, left as is.")
        version = extract_ingest_parts(
            paths=paths, family="pharmacovigilance", user=None
        )
    return _(
        "Pharmacovigilance: generated demo extract cleaned into %(version)s "
        "(%(cases)s cases, %(loaded)s case and drug records)."
    ) % {
        "version": version,
        "cases": version.assembly.get("cases", 0),
        "loaded": version.rows_loaded,
    }


def _load_shortages() -> str:
    path = DEMO_BDPM / "CIS_CIP_Dispo_Spec.txt"
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    if Upload.objects.filter(family="shortages", sha256=sha).exists():
        return _("Shortages: demo extract already loaded, left as is.")
    version = extract_ingest(
        path=path, family="shortages", user=None, profile_name=PRESET
    )
    return _(
        "Shortages: demo extract cleaned into %(version)s (%(loaded)s rows "
        "loaded, %(rejected)s left out)."
    ) % {
        "version": version,
        "loaded": version.rows_loaded,
        "rejected": version.rows_rejected,
    }
