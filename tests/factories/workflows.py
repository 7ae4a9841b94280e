"""Review steps outside the seeded workflows: for tests of what a step allows."""

from __future__ import annotations

from typing import Any

import factory

from workflows.models import FourEyesApprovalTask


class FourEyesApprovalTaskFactory(
    factory.django.DjangoModelFactory[FourEyesApprovalTask]
):
    """A four-eyes step decided by ``groups`` (a list of groups)."""

    class Meta:
        model = FourEyesApprovalTask
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Étape {n}")
    active = True

    @factory.post_generation
    def groups(self: Any, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create and extracted:
            self.groups.set(extracted)
