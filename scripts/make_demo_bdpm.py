"""Cut the bundled demo BDPM set from the full public files (run by a developer).

Keeps, byte for byte (same encoding and line ends), the lines of every standard
BDPM file that concern: specialities with a published availability problem, the
first specialities of the MITM list, and a slice of the others.

    python scripts/make_demo_bdpm.py SOURCE_DIR referential_admin/demo_data/bdpm
"""

from __future__ import annotations

import sys
from pathlib import Path

FILES = {
    "CIS_bdpm.txt": 0,
    "CIS_CIP_bdpm.txt": 0,
    "CIS_COMPO_bdpm.txt": 0,
    "CIS_GENER_bdpm.txt": 2,
    "CIS_CPD_bdpm.txt": 0,
    "CIS_CIP_Dispo_Spec.txt": 0,
    "CIS_MITM.txt": 0,
}


def cis_of(path: Path, column: int) -> list[bytes]:
    return [
        line.split(b"\t")[column].strip()
        for line in path.read_bytes().split(b"\n")
        if line.strip()
    ]


def main(source: Path, target: Path) -> None:
    selected = set(cis_of(source / "CIS_CIP_Dispo_Spec.txt", 0))
    selected |= set(cis_of(source / "CIS_MITM.txt", 0)[:600])
    selected |= set(cis_of(source / "CIS_bdpm.txt", 0)[::10])
    target.mkdir(parents=True, exist_ok=True)
    for name, column in FILES.items():
        lines = (source / name).read_bytes().split(b"\n")
        kept = [
            line
            for line in lines
            if line.strip() and line.split(b"\t")[column].strip() in selected
        ]
        (target / name).write_bytes(b"\n".join(kept) + b"\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
