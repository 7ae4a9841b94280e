"""Dataset versions ready for review, without going through a file: for tests of
the review itself (the ingestion has its own tests on real files)."""

from __future__ import annotations

import hashlib
from typing import Any

import factory

from datasets.models import DatasetVersion, MappingProfile, Upload


class UploadFactory(factory.django.DjangoModelFactory[Upload]):
    class Meta:
        model = Upload

    family = "shortages"
    file = factory.Sequence(lambda n: f"extracts/test/{n}.csv")
    original_name = factory.Sequence(lambda n: f"extrait-{n}.csv")
    sha256 = factory.Sequence(lambda n: hashlib.sha256(str(n).encode()).hexdigest())
    size = 100
    format = "csv"
    status = Upload.Status.PROFILED


class MappingProfileFactory(factory.django.DjangoModelFactory[MappingProfile]):
    class Meta:
        model = MappingProfile

    family = "shortages"
    name = factory.Sequence(lambda n: f"Source {n}")
    version = 1


class DatasetVersionFactory(factory.django.DjangoModelFactory[DatasetVersion]):
    """A cleaned draft, with the revision its cleaning records (by its uploader)."""

    class Meta:
        model = DatasetVersion
        skip_postgeneration_save = True

    family = "shortages"
    number = factory.Sequence(lambda n: n + 1)
    upload = factory.SubFactory(UploadFactory, family=factory.SelfAttribute("..family"))
    mapping = factory.SubFactory(
        MappingProfileFactory, family=factory.SelfAttribute("..family")
    )
    status = DatasetVersion.Status.DRAFT
    rows_read = 10
    rows_loaded = 10
    match_counts = factory.LazyFunction(lambda: {"exact": 10})
    live = False
    created_by = factory.SelfAttribute("upload.uploaded_by")

    @factory.post_generation
    def revision(self: Any, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            self.save_revision(user=self.created_by, clean=False)
