"""Releases without building their files: for tests of what lists or walls them
(the publication service has its own tests on ingested versions)."""

from __future__ import annotations

import factory

from publications.models import Release
from tests.factories.datasets import DatasetVersionFactory


class ReleaseFactory(factory.django.DjangoModelFactory[Release]):
    class Meta:
        model = Release

    family = "shortages"
    number = factory.Sequence(lambda n: n + 1)
    version = factory.SubFactory(
        DatasetVersionFactory, family=factory.SelfAttribute("..family")
    )
    kind = Release.Kind.PUBLICATION
    rows = factory.SelfAttribute("version.rows_loaded")
    is_current = False
