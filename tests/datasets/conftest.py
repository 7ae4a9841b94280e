"""Extract files for the datasets tests: the real shortage files (bundled, see
``tests.realdata``) and small hand-made ones."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.realdata import REAL_BDPM, REAL_SHORTAGES, require
from tests.referential_admin.conftest import cut_snapshot

DISPOMED_CSV = REAL_SHORTAGES / "dispomed_big_table_for_import.csv"
DISPOMED_XLSX = REAL_SHORTAGES / "dispomed_0E0F1000.xls"
SCRAPE_2021 = REAL_SHORTAGES / "ansm_liste_ruptures_scrape_2021-04-05.json"
SCRAPE_2024 = REAL_SHORTAGES / "ansm_liste_ruptures_scrape_2024-07-02.json"
BDPM_DISPO = REAL_BDPM / "CIS_CIP_Dispo_Spec.txt"

#: Specialities used by the hand-made extracts (DOLIPRANE 1000 mg comprimé, …).
DOLIPRANE = "60234100"
SMALL_REFERENTIAL = ["60234100", "69309629", "61266250"]


@pytest.fixture(scope="session")
def real_shortages() -> Path:
    """The real shortage files; their absence is a failure, not a skip."""
    require(DISPOMED_CSV, DISPOMED_XLSX, SCRAPE_2021, SCRAPE_2024, BDPM_DISPO)
    return REAL_SHORTAGES


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    """Public media (releases) under the test's folder, private files beside it."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_ROOT = tmp_path / "private"
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def small_referential(db: Any, tmp_path: Path) -> None:
    """Three real specialities with their presentations."""
    from referential_admin.services import referential_import

    referential_import(
        directory=cut_snapshot(tmp_path / "bdpm", SMALL_REFERENTIAL), source="test"
    )


def write_csv(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


HEADER = "Numéro;Etat;Classification;Date de déclaration;CIP13;Spécialité\n"
