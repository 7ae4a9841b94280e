from __future__ import annotations

import factory
from django.utils import timezone

from tasks.models import JobRun


class JobRunFactory(factory.django.DjangoModelFactory[JobRun]):
    class Meta:
        model = JobRun

    kind = "platform.selfcheck"
    queue = "default"
    params = factory.LazyFunction(dict)
    status = JobRun.Status.PENDING
    created_at = factory.LazyFunction(timezone.now)
