"""An extract through a real Celery worker process: profiling and cleaning run as
jobs on the configured broker (Redis, or the embedded filesystem transport).

Real-worker tests live in this folder, which sorts after every other one: the
first transactional test that follows a real-worker test was seen to start from
an empty database (its serialized content not restored)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from datasets import services
from datasets.models import DatasetVersion, ShortageRecord, Upload
from tasks.models import JobRun
from tests.datasets.conftest import DISPOMED_CSV

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def wait_for(predicate: Callable[[], bool], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.3)
    raise AssertionError("condition not reached in time")


def test_a_worker_profiles_and_cleans_an_extract(
    start_worker: Any, real_shortages: Path, personas: dict[str, Any]
) -> None:
    # The worker shares the test settings' media folder (no override here).
    worker = start_worker("w1")
    user = personas["inspection_declarant"]
    upload, created = services.upload_create(
        source=DISPOMED_CSV, name=DISPOMED_CSV.name, family="shortages", user=user
    )
    assert created
    wait_for(
        lambda: (
            Upload.objects.values_list("status", flat=True).get(pk=upload.pk)
            in (Upload.Status.PROFILED, Upload.Status.FAILED)
        )
    )
    upload.refresh_from_db()
    assert upload.status == Upload.Status.PROFILED, upload.error
    suggestion = services.mapping_suggest(upload=upload)
    assert suggestion.complete
    profile = services.mapping_save(
        family="shortages",
        name="Dispomed",
        spec=suggestion.spec,
        columns=[c["name"] for c in upload.columns],
        user=user,
    )
    version = services.version_create(upload=upload, mapping=profile, user=user)
    wait_for(
        lambda: (
            DatasetVersion.objects.values_list("status", flat=True).get(pk=version.pk)
            in (DatasetVersion.Status.DRAFT, DatasetVersion.Status.FAILED)
        )
    )
    version.refresh_from_db()
    assert version.status == DatasetVersion.Status.DRAFT, version.error
    assert version.rows_loaded == 929
    assert ShortageRecord.objects.filter(version=version).count() == 929
    assert version.job_id is not None
    # The version commits first; the job records its end just after.
    job_id = version.job_id
    assert job_id is not None
    wait_for(
        lambda: (
            JobRun.objects.values_list("status", flat=True).get(pk=job_id)
            != JobRun.Status.RUNNING
        )
    )
    run = JobRun.objects.get(pk=version.job_id)
    assert run.status == JobRun.Status.DONE_WITH_ERRORS  # rows were left out
    assert run.worker.startswith("w1@")
    assert run.progress_done == run.progress_total == 933
    assert "w1@" in worker.output()
    # Files written by the test process are read by the worker, never modified.
    stored = Path(upload.file.path)
    assert stored.read_bytes() == DISPOMED_CSV.read_bytes()
    stored.unlink()  # the shared test media folder keeps nothing
