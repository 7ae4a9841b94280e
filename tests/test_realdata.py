"""The bundled real files unpack (``pytest_configure``) to exactly the bytes listed
in their README."""

from __future__ import annotations

import hashlib
import re

import pytest

from tests.realdata import BUNDLE, UNPACKED

# A row of the README's "Files" table: | `file` | bytes | bundled | `sha256` | ...
ROW = re.compile(
    r"^\| `(?P<file>[^`]+)` \| (?P<size>\d+) \| (?P<bundled>\d+) \| "
    r"`(?P<sha>[0-9a-f]{64})` \|"
)
LISTED = {
    match["file"]: (int(match["size"]), int(match["bundled"]), match["sha"])
    for line in (BUNDLE / "README.md").read_text(encoding="utf-8").splitlines()
    if (match := ROW.match(line))
}


def test_readme_lists_every_bundled_file() -> None:
    bundled = {
        path.relative_to(BUNDLE).as_posix().removesuffix(".xz"): path.stat().st_size
        for path in BUNDLE.glob("*/*")
    }
    assert bundled == {name: listed[1] for name, listed in LISTED.items()}


@pytest.mark.parametrize("name", sorted(LISTED))
def test_unpacked_file_has_the_original_bytes(name: str) -> None:
    data = (UNPACKED / name).read_bytes()
    size, _, sha256 = LISTED[name]
    assert len(data) == size, f"{name}: corrupted bundle (size)"
    assert hashlib.sha256(data).hexdigest() == sha256, f"{name}: corrupted bundle"
