"""Match decisions (every identical label or one row), their aliases for later uploads,
refusals, and matching again after new aliases."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from backoffice.exceptions import ApplicationError
from datasets import selectors, services
from datasets.models import MatchDecision, ShortageRecord
from referential_admin.models import Alias
from tests.datasets.conftest import DOLIPRANE, HEADER, write_csv
from tests.factories.extracts import MIXED_ROWS, ingest_file, match_methods

pytestmark = pytest.mark.django_db


def test_a_decision_updates_every_identical_label_and_is_reused_on_the_next_upload(
    tmp_path: Path, media: Path, small_referential: None, personas: dict[str, Any]
) -> None:
    user = personas["inspection_declarant"]
    version = ingest_file(write_csv(tmp_path / "a.csv", HEADER + MIXED_ROWS))
    assert version.match_counts["exact"] == 1 and version.match_counts["unmatched"] == 3
    queue = list(selectors.review_queue(version))
    assert [(q["label"], q["rows"]) for q in queue] == [
        ("Produit maison XYZ", 2),
        ("Préparation hospitalière ABC", 1),
    ]
    decision = services.match_decide(
        version=version, key="produit maison xyz", cis=DOLIPRANE, user=user
    )
    assert decision.rows_updated == 2 and decision.decided_by == user
    services.match_decide(
        version=version, key="preparation hospitaliere abc", cis=None, user=user
    )
    version.refresh_from_db()
    assert version.match_counts == {
        "exact": 1,
        "alias": 2,
        "fuzzy": 0,
        "ambiguous": 0,
        "unmatched": 0,
        "excluded": 1,
    }
    assert "MEDICINE_UNMATCHED" not in version.issue_counts
    assert not list(selectors.review_queue(version))
    assert Alias.objects.get(label="Produit maison XYZ").speciality_id == DOLIPRANE
    assert Alias.objects.get(label="Préparation hospitalière ABC").speciality_id is None

    later = ingest_file(
        write_csv(tmp_path / "b.csv", HEADER + MIXED_ROWS.replace("2024", "2025"))
    )
    assert match_methods(later) == {
        None: "code",
        "Produit maison XYZ": "alias",
        "Préparation hospitalière ABC": "excluded",
    }


def test_a_decision_for_one_row_leaves_the_others_in_the_queue(
    tmp_path: Path, media: Path, small_referential: None, personas: dict[str, Any]
) -> None:
    version = ingest_file(write_csv(tmp_path / "a.csv", HEADER + MIXED_ROWS))
    row = (
        ShortageRecord.objects.filter(
            version=version, product_name="Produit maison XYZ"
        )
        .order_by("row_number")
        .first()
    )
    assert row is not None
    decision = services.match_decide(
        version=version,
        key="produit maison xyz",
        cis=DOLIPRANE,
        user=personas["inspection_declarant"],
        scope=MatchDecision.Scope.ROW,
        row_number=row.row_number,
    )
    assert decision.rows_updated == 1 and decision.alias is None
    assert not Alias.objects.exists()
    assert [q["rows"] for q in selectors.review_queue(version)] == [1, 1]


def test_an_unknown_cis_is_refused(
    tmp_path: Path, media: Path, small_referential: None, personas: dict[str, Any]
) -> None:
    version = ingest_file(write_csv(tmp_path / "a.csv", HEADER + MIXED_ROWS))
    with pytest.raises(ApplicationError, match="12345678"):
        services.match_decide(
            version=version,
            key="produit maison xyz",
            cis="12345678",
            user=personas["inspection_declarant"],
        )


def test_rematching_applies_aliases_created_since_the_cleaning(
    tmp_path: Path, media: Path, small_referential: None
) -> None:
    from referential_admin.models import Speciality
    from referential_admin.services import alias_save

    version = ingest_file(write_csv(tmp_path / "a.csv", HEADER + MIXED_ROWS))
    alias_save(
        label="produit MAISON xyz",
        family="",
        speciality=Speciality.objects.get(cis=DOLIPRANE),
        user=None,
    )
    counts = services.version_rematch(version=version)
    assert counts["alias"] == 2 and counts["unmatched"] == 1
    assert set(
        ShortageRecord.objects.filter(
            version=version, match_method="alias"
        ).values_list("matched_cis", flat=True)
    ) == {DOLIPRANE}
