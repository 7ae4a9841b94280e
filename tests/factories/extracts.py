"""Small hand-made shortage extracts and their ingestion, for the tests of every
app that needs a cleaned version (review, releases, portal, walls)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from datasets import services
from datasets.models import DatasetVersion, ShortageRecord, Upload
from tests.datasets.conftest import HEADER, write_csv

MATCHED_ROWS = (
    "21-1;ouvert;Rupture de stock;01/02/2024;3400935955838;\n"
    "21-2;fermé;Risque de rupture de stock;02/02/2024;3400935955838;\n"
)
#: One row matched by its code, three by labels a person decides.
MIXED_ROWS = (
    "21-1;ouvert;Rupture de stock;01/02/2024;3400935955838;\n"
    "21-2;ouvert;Rupture de stock;02/02/2024;;Produit maison XYZ\n"
    "21-3;fermé;Risque de rupture de stock;03/02/2024;;Produit maison XYZ\n"
    "21-4;ouvert;Rupture de stock;04/02/2024;;Préparation hospitalière ABC\n"
)
UNMATCHED_ROWS = MATCHED_ROWS + (
    "21-3;ouvert;Rupture de stock;03/02/2024;;Produit maison XYZ\n"
    "21-4;ouvert;Rupture de stock;04/02/2024;;Préparation hospitalière ABC\n"
)


def ingest(tmp_path: Path, rows: str, user: Any, name: str = "a.csv") -> DatasetVersion:
    return services.extract_ingest(
        path=write_csv(tmp_path / name, HEADER + rows),
        family="shortages",
        user=user,
    )


def step(version: DatasetVersion) -> str:
    state = DatasetVersion.objects.get(pk=version.pk).current_workflow_state
    if state is None:
        return ""
    return f"{state.status}:{state.current_task_state.task.name}"


def ingest_file(path: Path, **kwargs: Any) -> DatasetVersion:
    """A shortage file taken from upload to cleaned version, by nobody in particular."""
    return services.extract_ingest(path=path, family="shortages", user=None, **kwargs)


def match_methods(version: DatasetVersion) -> dict[str, str]:
    """How each product name of a version was matched."""
    return dict(
        ShortageRecord.objects.filter(version=version).values_list(
            "product_name", "match_method"
        )
    )


def profiled_upload(tmp_path: Path, text: str, name: str = "extrait.csv") -> Upload:
    """A hand-made extract uploaded and profiled in this process."""
    path = write_csv(tmp_path / name, text)
    upload, _created = services.upload_create(
        source=path, name=name, family="shortages", user=None, inline=True
    )
    assert upload.status == Upload.Status.PROFILED, upload.error
    return upload
