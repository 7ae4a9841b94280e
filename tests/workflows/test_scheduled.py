"""An approval with a date publishes the version at that date."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from wagtail.models import Revision

from datasets import selectors
from tests.factories.datasets import DatasetVersionFactory
from tests.factories.reviews import logged_actions
from workflows import services as review

pytestmark = pytest.mark.django_db


# -- Scheduled publication -----------------------------------------------------


def test_an_approval_publishes_at_the_scheduled_date(team: dict[str, Any]) -> None:
    declarant = team["inspection_declarant"]
    version = DatasetVersionFactory.create(upload__uploaded_by=declarant)
    version.go_live_at = timezone.now() + timedelta(days=2)
    version.save(update_fields=["go_live_at"])
    version.save_revision(user=declarant, clean=False)
    review.version_submit(version=version, user=declarant)
    review.version_decide(
        version=version, user=team["inspection_reviewer"], action="approve"
    )
    review.version_decide(version=version, user=team["data_office"], action="approve")
    version.refresh_from_db()
    assert version.live is False
    assert selectors.review_status(version).code == "scheduled"
    assert review.publish_scheduled() == 0
    # Two days later (the approved revision's date moved to the past).
    past = timezone.now() - timedelta(minutes=1)
    scheduled = Revision.objects.get(
        object_id=str(version.pk), approved_go_live_at__isnull=False
    )
    scheduled.approved_go_live_at = past
    scheduled.content["go_live_at"] = past.isoformat()
    scheduled.save(update_fields=["approved_go_live_at", "content"])
    assert review.publish_scheduled() == 1
    version.refresh_from_db()
    assert version.live is True
    assert "wagtail.publish.scheduled" in logged_actions(version)
