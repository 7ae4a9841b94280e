"""Aliases redirect matches outside the review queue: the review of a version
shows every alias decided since the published version that matched its rows,
with who decided it, so that one person cannot quietly steer a publication."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from datasets.selectors import alias_changes
from publications.selectors import live_version
from referential_admin.models import Speciality
from referential_admin.services import alias_save
from tests.factories.clients import login
from tests.factories.extracts import MATCHED_ROWS, UNMATCHED_ROWS, ingest
from tests.factories.referential import SpecialityFactory
from tests.factories.reviews import approve

pytestmark = pytest.mark.django_db


def test_aliases_decided_since_the_published_version_show_in_the_review(
    tmp_path: Path, media: Path, small_referential: None, team: dict[str, Any]
) -> None:
    speciality = Speciality.objects.order_by("cis").first()
    assert speciality is not None
    # An old decision, before the published version: not news to a reviewer.
    alias_save(
        label="Préparation hospitalière ABC",
        family="shortages",
        speciality=speciality,
        user=team["inspection_declarant"],
    )
    published = ingest(tmp_path, MATCHED_ROWS, team["inspection_declarant"])
    approve(published, team)
    assert live_version("shortages") == published
    # After the publication, another agent points a label at a speciality.
    alias_save(
        label="Produit maison XYZ",
        family="shortages",
        speciality=speciality,
        user=team["inspection_reviewer_2"],
    )
    version = ingest(tmp_path, UNMATCHED_ROWS, team["inspection_declarant"], "b.csv")
    changes = alias_changes(version, published)
    assert [(c.label, c.rows, c.shared) for c in changes] == [
        ("Produit maison XYZ", 1, False)
    ]
    who = team["inspection_reviewer_2"].get_full_name()
    assert who and changes[0].decided_by == who
    # Without a published version, every alias that matched is shown.
    assert {c.label for c in alias_changes(version, None)} == {
        "Produit maison XYZ",
        "Préparation hospitalière ABC",
    }
    page = login(team["inspection_reviewer"]).get(
        reverse("workflows_review", args=[version.pk])
    )
    html = page.content.decode()
    section = html[html.index('id="alias-changes"') :]
    assert "Produit maison XYZ" in section and who in section
    assert "Préparation hospitalière ABC" not in section


def test_changing_an_alias_makes_it_a_new_decision(team: dict[str, Any]) -> None:
    first, other = SpecialityFactory.create_batch(2)
    alias = alias_save(
        label="Doli",
        family="shortages",
        speciality=first,
        user=team["inspection_declarant"],
    )
    decided = alias.created_at
    changed = alias_save(
        instance=alias,
        label="Doli",
        family="shortages",
        speciality=other,
        user=team["inspection_reviewer"],
    )
    assert changed.created_by == team["inspection_reviewer"]
    assert changed.created_at > decided
