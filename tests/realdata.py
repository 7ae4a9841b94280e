"""Where the tests find the real public files they read.

The files are bundled in the repository under ``tests/data/real`` (provenance,
licences and SHA-256 in its README), the text files xz-compressed. ``unpack()``,
called once per test session by ``pytest_configure`` in ``tests/conftest.py``,
writes them with their original bytes to ``var/test-real-data``, and ``REAL``
points there. If ``DATAMED_SHARED_DIR`` is set, ``REAL`` is
``$DATAMED_SHARED_DIR/data/real`` instead (a bigger external copy); nothing needs it.
"""

from __future__ import annotations

import lzma
import os
from pathlib import Path

import pytest

BUNDLE = Path(__file__).resolve().parent / "data" / "real"
UNPACKED = BUNDLE.parents[2] / "var" / "test-real-data"
SHARED_DIR = os.environ.get("DATAMED_SHARED_DIR")

REAL = Path(SHARED_DIR) / "data" / "real" if SHARED_DIR else UNPACKED
REAL_BDPM = REAL / "bdpm"
REAL_SHORTAGES = REAL / "shortages"


def unpack() -> Path:
    """Write the bundled files, decompressed, under ``UNPACKED`` (``bdpm/``,
    ``shortages/``); a file already there with the same bytes is left alone."""
    for source in sorted(BUNDLE.glob("*/*")):
        target = UNPACKED / source.parent.name / source.name.removesuffix(".xz")
        data = source.read_bytes()
        if source.suffix == ".xz":
            data = lzma.decompress(data)
        if target.is_file() and target.read_bytes() == data:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        # Written beside the folders, not in them (readers list them), then renamed:
        # a concurrent session never sees half a file.
        partial = UNPACKED / f".{source.parent.name}-{target.name}.{os.getpid()}"
        partial.write_bytes(data)
        partial.replace(target)
    return UNPACKED


def require(*paths: Path) -> None:
    """Fail (never skip) when a real file the tests need is missing."""
    missing = [str(path) for path in paths if not path.is_file()]
    if not missing:
        return
    if SHARED_DIR:
        cause = (
            f"DATAMED_SHARED_DIR={SHARED_DIR} lacks them; unset it to use the "
            f"copy bundled in {BUNDLE}"
        )
    else:
        cause = f"the copy bundled in {BUNDLE} is incomplete (see its README.md)"
    pytest.fail(f"Real test files missing: {', '.join(missing)}: {cause}.")
