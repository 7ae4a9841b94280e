"""The real BDPM files (bundled, see ``tests.realdata``), and small snapshots cut
from them."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

from tests.realdata import REAL_BDPM, require

STANDARD_FILES = (
    "CIS_bdpm.txt",
    "CIS_CIP_bdpm.txt",
    "CIS_COMPO_bdpm.txt",
    "CIS_GENER_bdpm.txt",
    "CIS_CPD_bdpm.txt",
    "CIS_CIP_Dispo_Spec.txt",
    "CIS_MITM.txt",
)


def cut_snapshot(
    target: Path,
    cis_codes: Iterable[str],
    files: Iterable[str] = STANDARD_FILES,
    cis_column: dict[str, int] | None = None,
) -> Path:
    """Copy the lines of the real files whose CIS is in ``cis_codes``, byte for
    byte (same encoding and line ends)."""
    wanted = {code.encode() for code in cis_codes}
    columns = {"CIS_GENER_bdpm.txt": 2, **(cis_column or {})}
    target.mkdir(parents=True, exist_ok=True)
    for name in files:
        data = (REAL_BDPM / name).read_bytes()
        column = columns.get(name, 0)
        kept = [
            line
            for line in data.split(b"\n")
            if line.strip() and line.split(b"\t")[column].strip() in wanted
        ]
        (target / name).write_bytes(b"\n".join(kept) + b"\n" if kept else b"")
    return target


@pytest.fixture(scope="session")
def real_bdpm_dir() -> Path:
    """The real BDPM files; their absence is a failure, not a skip."""
    require(*(REAL_BDPM / name for name in STANDARD_FILES))
    return REAL_BDPM


@pytest.fixture
def snapshot_factory(tmp_path: Path) -> Callable[..., Path]:
    def make(name: str, cis_codes: Iterable[str]) -> Path:
        return cut_snapshot(tmp_path / name, cis_codes)

    return make


def first_cis(count: int) -> list[str]:
    lines = (REAL_BDPM / "CIS_bdpm.txt").read_bytes().split(b"\r\n")
    return [line.split(b"\t")[0].decode() for line in lines if line][:count]
