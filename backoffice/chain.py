"""The audit trail's hash chain, framework-free.

Each sealed entry's digest is the SHA-256 of the previous digest and of the
entry's canonical JSON (sorted keys, no spaces, UTF-8). Changing, removing or
inserting an entry anywhere changes every digest after it, so a check from the
start finds the first place the trail was altered.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

#: The digest before the first entry.
GENESIS = "0" * 64


def canonical(record: Mapping[str, Any]) -> bytes:
    """The record as canonical JSON bytes (values that JSON lacks as text)."""
    return json.dumps(
        record, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    ).encode("utf-8")


def link(previous: str, record: Mapping[str, Any]) -> str:
    """The digest of ``record`` following the digest ``previous``."""
    return hashlib.sha256(
        previous.encode("ascii") + b"\n" + canonical(record)
    ).hexdigest()


@dataclass(frozen=True)
class Seal:
    """One link as stored: the entry it seals (None when the entry is gone), the
    digest before it and its own digest."""

    key: str
    record: Mapping[str, Any] | None
    previous: str
    digest: str


@dataclass(frozen=True)
class Break:
    """Where the chain first fails, and why (``changed``, ``missing``,
    ``reordered``)."""

    position: int
    key: str
    reason: str


def first_break(seals: Iterable[Seal]) -> tuple[int, Break | None]:
    """Check the seals in order; return how many were checked and the first
    break, or None when the whole chain holds."""
    expected = GENESIS
    count = 0
    for count, seal in enumerate(seals, start=1):
        if seal.previous != expected:
            return count, Break(count, seal.key, "reordered")
        if seal.record is None:
            return count, Break(count, seal.key, "missing")
        if link(seal.previous, seal.record) != seal.digest:
            return count, Break(count, seal.key, "changed")
        expected = seal.digest
    return count, None
