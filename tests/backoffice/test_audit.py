"""The audit trail is tamper-evident: every log entry is sealed into a hash
chain once its transaction commits; changing, deleting or inserting an entry
behind the application's back is found by ``audit_verify``; ``audit_export``
writes a trail that can be checked offline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from wagtail.log_actions import log
from wagtail.models import ModelLogEntry

from backoffice import chain
from backoffice.audit import audit_seal, audit_verify, record_of
from backoffice.models import AuditSeal

pytestmark = pytest.mark.django_db


@pytest.fixture
def trail(
    personas: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> list[Any]:
    """Five entries, each sealed when its (captured) transaction commits."""
    user = personas["data_office"]
    entries = []
    for n in range(5):
        with django_capture_on_commit_callbacks(execute=True):
            entries.append(
                log(instance=user, action="wagtail.edit", user=user, data={"n": n})
            )
    return entries


def _raw(sql: str, params: list[Any]) -> None:
    # What someone with database access could do: the application refuses it.
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_every_entry_is_sealed_when_its_transaction_commits(trail: list[Any]) -> None:
    assert AuditSeal.objects.count() == ModelLogEntry.objects.count() >= 5
    result = audit_verify()
    assert result.broken is None and result.unsealed == 0
    assert result.checked == AuditSeal.objects.count()
    assert audit_seal(everywhere=True) == 0  # idempotent


def test_a_changed_entry_breaks_the_chain_where_it_was_changed(
    trail: list[Any], capsys: Any
) -> None:
    call_command("audit_verify")
    assert "intact" in capsys.readouterr().out
    target = trail[2]
    _raw(
        "UPDATE wagtailcore_modellogentry SET data = %s WHERE id = %s",
        ['{"n": 99}', target.pk],
    )
    result = audit_verify()
    assert result.broken is not None
    assert result.broken.reason == "changed"
    assert result.broken.key == f"model:{target.pk}"
    position = (
        list(AuditSeal.objects.order_by("pk").values_list("entry_id", flat=True)).index(
            target.pk
        )
        + 1
    )
    assert result.broken.position == position
    with pytest.raises(CommandError, match="modifiée"):
        call_command("audit_verify")


def test_a_deleted_entry_breaks_the_chain(trail: list[Any]) -> None:
    _raw("DELETE FROM wagtailcore_modellogentry WHERE id = %s", [trail[1].pk])
    broken = audit_verify().broken
    assert broken is not None and broken.reason == "missing"


def test_a_rewritten_seal_breaks_the_chain_after_it(trail: list[Any]) -> None:
    """Recomputing one seal to hide a change does not help: the next link no
    longer follows it."""
    target = trail[1]
    _raw(
        "UPDATE wagtailcore_modellogentry SET label = %s WHERE id = %s",
        ["autre", target.pk],
    )
    seal = AuditSeal.objects.get(kind="model", entry_id=target.pk)
    record = record_of("model", target.pk)
    assert record is not None
    AuditSeal.objects.filter(pk=seal.pk).update(
        digest=chain.link(seal.previous, record)
    )
    broken = audit_verify().broken
    assert broken is not None and broken.reason == "reordered"


def test_an_entry_written_behind_the_application_shows_as_unsealed(
    trail: list[Any],
) -> None:
    ModelLogEntry.objects.bulk_create([ModelLogEntry(**_copy_of(trail[0]))])
    result = audit_verify()
    assert result.broken is None and result.unsealed == 1


def _copy_of(entry: Any) -> dict[str, Any]:
    return {
        "content_type_id": entry.content_type_id,
        "label": entry.label,
        "action": entry.action,
        "data": entry.data,
        "timestamp": entry.timestamp,
        "object_id": entry.object_id,
        "user_id": entry.user_id,
    }


def test_the_export_can_be_checked_offline(trail: list[Any], tmp_path: Path) -> None:
    path = tmp_path / "trail.jsonl"
    call_command("audit_export", str(path))
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert len(lines) == AuditSeal.objects.count()
    seals = [
        chain.Seal(str(n), line["entry"], line["previous"], line["digest"])
        for n, line in enumerate(lines)
    ]
    assert chain.first_break(seals) == (len(lines), None)
    lines[3]["entry"]["label"] = "falsifié"
    seals[3] = chain.Seal(
        "3", lines[3]["entry"], lines[3]["previous"], lines[3]["digest"]
    )
    assert chain.first_break(seals)[1] is not None
