"""The audit trail made tamper-evident: every Wagtail log entry (objects and
pages) is sealed into one hash chain (``backoffice.chain``) right after its
transaction commits; ``audit_verify`` recomputes the chain from the entries as
stored and names the first one altered, removed or inserted out of order;
``audit_export`` writes the trail and its digests for archiving.

Sealing takes a short lock of its own (PostgreSQL advisory lock), never the
lock of the work that logged, so long transactions do not queue other writers.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from wagtail.models import ModelLogEntry, PageLogEntry

from backoffice import chain
from backoffice.models import AuditSeal

logger = logging.getLogger("datamed.audit")

#: How far below the last sealed id an entry committed late is still looked for
#: at each commit (``audit_seal`` looks everywhere).
LATE_WINDOW = 1000
CHUNK = 2000
_LOCK_KEY = 0x44A7A3ED  # "DataMed audit"

_MODELS: dict[str, Any] = {
    AuditSeal.Kind.MODEL: ModelLogEntry,
    AuditSeal.Kind.PAGE: PageLogEntry,
}
_FIELDS = (
    "id",
    "content_type_id",
    "label",
    "action",
    "data",
    "timestamp",
    "uuid",
    "user_id",
    "revision_id",
    "content_changed",
    "deleted",
)
_OBJECT: dict[str, str] = {
    AuditSeal.Kind.MODEL: "object_id",
    AuditSeal.Kind.PAGE: "page_id",
}


def _records(kind: str, ids: list[int]) -> dict[int, dict[str, Any]]:
    rows = _MODELS[kind].objects.filter(pk__in=ids).values(*_FIELDS, _OBJECT[kind])
    return {row["id"]: _record(kind, row) for row in rows}


def record_of(kind: str, entry_id: int) -> dict[str, Any] | None:
    """The entry as the chain hashes it (None when it is gone)."""
    return _records(kind, [entry_id]).get(entry_id)


def _record(kind: str, row: dict[str, Any]) -> dict[str, Any]:
    record = dict(row)
    record["kind"] = kind
    record["object"] = str(record.pop(_OBJECT[kind]))
    record["timestamp"] = record["timestamp"].isoformat()
    record["uuid"] = str(record["uuid"]) if record["uuid"] else None
    return record


def _unsealed(kind: str, *, everywhere: bool) -> Any:
    entries = _MODELS[kind].objects.filter(
        ~Exists(AuditSeal.objects.filter(kind=kind, entry_id=OuterRef("pk")))
    )
    if not everywhere:
        last = (
            AuditSeal.objects.filter(kind=kind)
            .order_by("-entry_id")
            .values_list("entry_id", flat=True)
            .first()
        )
        if last is not None:
            entries = entries.filter(pk__gt=last - LATE_WINDOW)
    return entries


def audit_seal(*, everywhere: bool = False) -> int:
    """Seal the committed entries not sealed yet, oldest first (by time, then
    id). Returns how many were sealed. Idempotent; safe to run concurrently."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
        pending: list[tuple[Any, str, int]] = []
        for kind in _MODELS:
            rows = _unsealed(kind, everywhere=everywhere).values_list("timestamp", "pk")
            pending.extend((stamp, kind, pk) for stamp, pk in rows)
        if not pending:
            return 0
        pending.sort()
        head = AuditSeal.objects.order_by("-pk").values_list("digest", flat=True)
        previous = head.first() or chain.GENESIS
        seals = []
        for start in range(0, len(pending), CHUNK):
            part = pending[start : start + CHUNK]
            records: dict[tuple[str, int], dict[str, Any]] = {}
            for kind in _MODELS:
                ids = [pk for _stamp, k, pk in part if k == kind]
                if ids:
                    for pk, record in _records(kind, ids).items():
                        records[(kind, pk)] = record
            for _stamp, kind, pk in part:
                digest = chain.link(previous, records[(kind, pk)])
                seals.append(
                    AuditSeal(kind=kind, entry_id=pk, previous=previous, digest=digest)
                )
                previous = digest
        AuditSeal.objects.bulk_create(seals, batch_size=CHUNK)
        return len(seals)


def seal_after_commit(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    """post_save of a log entry: seal it once its transaction has committed."""
    if created and not kwargs.get("raw"):
        transaction.on_commit(_seal_quietly)


def _seal_quietly() -> None:
    # The work has committed: a failure to seal must not turn it into an error.
    # The entry stays unsealed (audit_verify counts it) until the next seal.
    try:
        audit_seal()
    except Exception:
        logger.exception("Sealing the audit trail failed; entries left unsealed.")


def _seals() -> Iterator[chain.Seal]:
    last = 0
    while True:
        batch = list(AuditSeal.objects.filter(pk__gt=last).order_by("pk")[:CHUNK])
        if not batch:
            return
        records: dict[tuple[str, int], dict[str, Any]] = {}
        for kind in _MODELS:
            ids = [s.entry_id for s in batch if s.kind == kind]
            if ids:
                for pk, record in _records(kind, ids).items():
                    records[(kind, pk)] = record
        for seal in batch:
            yield chain.Seal(
                key=f"{seal.kind}:{seal.entry_id}",
                record=records.get((seal.kind, seal.entry_id)),
                previous=seal.previous,
                digest=seal.digest,
            )
        last = batch[-1].pk


@dataclass(frozen=True)
class AuditCheck:
    """The result of ``audit_verify``: entries checked, the first break (or
    None) and how many entries carry no seal (written outside the application,
    or not sealed yet)."""

    checked: int
    broken: chain.Break | None
    unsealed: int


def audit_verify() -> AuditCheck:
    """Recompute the whole chain from the entries as stored (read only)."""
    checked, broken = chain.first_break(_seals())
    unsealed = sum(_unsealed(kind, everywhere=True).count() for kind in _MODELS)
    return AuditCheck(checked=checked, broken=broken, unsealed=unsealed)


def audit_export(output: IO[str]) -> int:
    """Write the trail as JSON Lines, one entry per line with its digests, in
    chain order (checkable offline with ``backoffice.chain``). Returns the count."""
    count = 0
    for count, seal in enumerate(_seals(), start=1):
        line = {
            "position": count,
            "entry": seal.record,
            "previous": seal.previous,
            "digest": seal.digest,
        }
        output.write(chain.canonical(line).decode("utf-8") + "\n")
    return count
