"""Jobs through a real Celery worker process, on the configured broker: Redis in
the PostgreSQL + Redis pass, kombu's filesystem transport in the embedded pass."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from tasks import services
from tasks.models import JobRun
from tests.conftest import broker_kind

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
Status = JobRun.Status


def wait_for(predicate: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError("condition not reached in time")


def status_of(run: JobRun) -> str:
    return JobRun.objects.values_list("status", flat=True).get(pk=run.pk)


def enqueue(**params: Any) -> JobRun:
    time_limit = params.pop("time_limit", None)
    run = services.job_enqueue(
        kind="platform.selfcheck", params=params, time_limit=time_limit
    )
    # transaction=True tests run in autocommit: on_commit callbacks fire at once.
    return run


def test_the_configured_broker_is_the_one_this_pass_must_prove() -> None:
    expected = (
        "redis"
        if os.environ.get("CELERY_BROKER_URL", "").startswith("redis")
        else "filesystem"
    )
    assert broker_kind() == expected


def test_a_real_worker_runs_a_job_end_to_end(start_worker: Any) -> None:
    worker = start_worker("w1")
    run = enqueue(pause_seconds=0.2)
    wait_for(lambda: status_of(run) == Status.DONE)
    run.refresh_from_db()
    assert run.worker.startswith("w1@")
    assert run.progress_done == run.progress_total
    assert run.result["storage"] == "ok"
    assert run.result["broker"] == broker_kind()
    # Celery logs the success once the task body has returned, a moment after
    # the run is marked done (the job then hands its memory back).
    wait_for(lambda: "succeeded" in worker.output())


def test_two_workers_receiving_the_same_message_run_the_job_once(
    start_worker: Any, celery_live: Any
) -> None:
    first, second = start_worker("w1"), start_worker("w2")
    run = enqueue(pause_seconds=1.0)
    # A second delivery of the same message (as acks_late redelivery would do).
    celery_live.tasks["jobs.platform.selfcheck"].apply_async(
        args=[run.pk], queue="default"
    )
    wait_for(lambda: status_of(run) == Status.DONE)
    wait_for(
        lambda: (first.output() + second.output()).count("received") == 2, timeout=30
    )
    run.refresh_from_db()
    assert run.attempts == 1
    assert run.log.count("(attempt 1)") + run.log.count("(tentative 1)") == 1
    assert JobRun.objects.count() == 1


def test_a_job_whose_worker_is_killed_is_reaped_and_can_be_retried(
    start_worker: Any,
) -> None:
    worker = start_worker("w1")
    run = enqueue(pause_seconds=1.0, steps=6)
    wait_for(
        lambda: JobRun.objects.filter(
            pk=run.pk, status=Status.RUNNING, progress_done__gte=1
        ).exists()
    )
    worker.kill()
    time.sleep(2.5)

    reaped = services.jobs_reap_stale(older_than=timedelta(seconds=2))

    assert reaped == [run.pk]
    run.refresh_from_db()
    assert run.status == Status.FAILED and run.can_retry
    services.job_retry(run=run, user=None)
    start_worker("w2")
    wait_for(lambda: status_of(run) == Status.DONE, timeout=90)
    run.refresh_from_db()
    assert run.attempts == 2
    assert run.worker.startswith("w2@")


def test_the_soft_time_limit_stops_a_job_and_records_why(start_worker: Any) -> None:
    start_worker("w1")
    run = enqueue(pause_seconds=5, time_limit=2)
    wait_for(lambda: status_of(run) == Status.FAILED)
    run.refresh_from_db()
    assert "SoftTimeLimitExceeded" in run.traceback
    assert run.error


def test_the_reaper_runs_as_a_periodic_task_in_the_worker(
    start_worker: Any, celery_live: Any
) -> None:
    from tasks.tasks import reap_stale_jobs_task

    entry = celery_live.conf.beat_schedule["reap-stale-jobs"]
    assert entry["task"] == reap_stale_jobs_task.name
    stale = JobRun.objects.create(
        kind="platform.selfcheck", status=Status.RUNNING, worker="gone@host"
    )
    JobRun.objects.filter(pk=stale.pk).update(
        heartbeat_at=stale.created_at - timedelta(hours=1)
    )
    start_worker("w1")
    reap_stale_jobs_task.apply_async()
    wait_for(lambda: status_of(stale) == Status.FAILED)
