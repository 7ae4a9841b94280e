"""The job services: claiming once, progress, outcome, cancel, retry, reaping."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.db import connection
from django.utils import timezone

from backoffice.celery import app
from backoffice.exceptions import ApplicationError, InvalidTransition
from tasks import services
from tasks.base import JobOutcome, JobTask
from tasks.models import JobRun
from tasks.progress import JobCancelled
from tests.factories.tasks import JobRunFactory

Status = JobRun.Status


@pytest.mark.django_db
def test_claim_succeeds_once_and_a_second_delivery_does_nothing() -> None:
    run = JobRunFactory.create()
    first = services.job_claim(run_id=run.pk, worker="w1", task_id="t")
    second = services.job_claim(run_id=run.pk, worker="w2", task_id="t")
    assert first is not None and first.status == Status.RUNNING
    assert second is None
    run.refresh_from_db()
    assert run.worker == "w1"
    assert run.attempts == 1
    assert run.log.count("Started by") + run.log.count("Démarré par") == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_claims_from_two_workers_yield_one_winner() -> None:
    run = JobRunFactory.create()
    barrier = threading.Barrier(2)
    winners: list[str] = []

    def claim(name: str) -> None:
        barrier.wait()
        try:
            if services.job_claim(run_id=run.pk, worker=name) is not None:
                winners.append(name)
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(n,)) for n in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(winners) == 1
    run.refresh_from_db()
    assert run.attempts == 1 and run.worker == winners[0]


@pytest.mark.django_db
def test_cancelled_pending_run_is_never_claimed(personas: dict[str, Any]) -> None:
    run = JobRunFactory.create()
    services.job_cancel(run=run, user=personas["data_office"])
    run.refresh_from_db()
    assert run.status == Status.CANCELLED
    assert services.job_claim(run_id=run.pk, worker="w1") is None


@pytest.mark.django_db
def test_cancel_of_running_run_is_cooperative(personas: dict[str, Any]) -> None:
    run = JobRunFactory.create()
    services.job_claim(run_id=run.pk, worker="w1")
    services.job_cancel(run=run, user=personas["data_office"])
    run.refresh_from_db()
    assert run.status == Status.RUNNING and run.cancel_requested
    progress = services.RunProgress(run.pk)
    with pytest.raises(JobCancelled):
        progress.update(1, 10, "step")


@pytest.mark.django_db
def test_cancel_of_finished_run_is_refused(personas: dict[str, Any]) -> None:
    run = JobRunFactory.create(status=Status.DONE)
    with pytest.raises(InvalidTransition):
        services.job_cancel(run=run, user=personas["data_office"])


@pytest.mark.django_db
def test_progress_is_recorded_and_bounded_by_total() -> None:
    run = JobRunFactory.create()
    services.job_claim(run_id=run.pk, worker="w1")
    progress = services.RunProgress(run.pk)
    progress.update(40, 100, "Lecture")
    run.refresh_from_db()
    assert (run.progress_done, run.progress_total, run.stage) == (40, 100, "Lecture")
    assert run.percent == 40
    progress.update(150, 100, "Fin")
    run.refresh_from_db()
    assert run.progress_done == 100


@pytest.mark.django_db
def test_stale_running_run_is_reaped_then_retryable(personas: dict[str, Any]) -> None:
    stale = JobRunFactory.create()
    services.job_claim(run_id=stale.pk, worker="dead")
    JobRun.objects.filter(pk=stale.pk).update(
        heartbeat_at=timezone.now() - timedelta(minutes=10)
    )
    alive = JobRunFactory.create()
    services.job_claim(run_id=alive.pk, worker="alive")

    reaped = services.jobs_reap_stale(older_than=timedelta(minutes=5))

    assert reaped == [stale.pk]
    stale.refresh_from_db()
    alive.refresh_from_db()
    assert stale.status == Status.FAILED and stale.can_retry
    assert stale.error
    assert alive.status == Status.RUNNING
    services.job_retry(run=stale, user=personas["data_office"])
    stale.refresh_from_db()
    assert stale.status == Status.PENDING and stale.error == ""
    assert services.job_claim(run_id=stale.pk, worker="w2") is not None
    assert JobRun.objects.get(pk=stale.pk).attempts == 2


@pytest.mark.django_db
def test_retry_is_refused_for_a_run_that_did_not_fail() -> None:
    run = JobRunFactory.create(status=Status.DONE)
    with pytest.raises(InvalidTransition):
        services.job_retry(run=run, user=None)


def _execute(run: JobRun, body: Any) -> JobRun:
    """Run ``body`` through the job machinery as a worker would, synchronously."""
    task = app.tasks["jobs.platform.selfcheck"]
    assert isinstance(task, JobTask)
    task.push_request(hostname="test@host", id="task-id")
    try:
        task.execute_run(run.pk, body)
    finally:
        task.pop_request()
    run.refresh_from_db()
    return run


@pytest.mark.django_db
def test_execute_records_result_and_errors_flag() -> None:
    def body(progress: Any, **params: Any) -> JobOutcome:
        progress.update(1, 1, "ok")
        return JobOutcome(result={"rows": params["n"]}, with_errors=True, message="3")

    run = _execute(JobRunFactory.create(params={"n": 3}), body)
    assert run.status == Status.DONE_WITH_ERRORS
    assert run.result == {"rows": 3}
    assert run.finished_at is not None


@pytest.mark.django_db
def test_execute_records_failure_with_traceback() -> None:
    def body(progress: Any, **params: Any) -> None:
        raise ZeroDivisionError("boom")

    run = _execute(JobRunFactory.create(), body)
    assert run.status == Status.FAILED
    assert "boom" in run.error
    assert "ZeroDivisionError" in run.traceback


@pytest.mark.django_db
def test_execute_keeps_the_french_message_of_an_application_error() -> None:
    def body(progress: Any, **params: Any) -> None:
        raise ApplicationError("Le fichier est vide.")

    run = _execute(JobRunFactory.create(), body)
    assert run.status == Status.FAILED and run.error == "Le fichier est vide."


@pytest.mark.django_db
def test_execute_turns_the_soft_time_limit_into_a_failure() -> None:
    def body(progress: Any, **params: Any) -> None:
        raise SoftTimeLimitExceeded

    run = _execute(JobRunFactory.create(), body)
    assert run.status == Status.FAILED
    assert "SoftTimeLimitExceeded" in run.traceback


@pytest.mark.django_db
def test_execute_honours_a_cancellation_seen_during_progress() -> None:
    def body(progress: Any, **params: Any) -> None:
        JobRun.objects.filter(status=Status.RUNNING).update(cancel_requested=True)
        progress.update(1, 2, "étape")

    run = _execute(JobRunFactory.create(), body)
    assert run.status == Status.CANCELLED


@pytest.mark.django_db
def test_execute_skips_a_run_already_claimed() -> None:
    calls: list[int] = []
    run = JobRunFactory.create()
    services.job_claim(run_id=run.pk, worker="other")
    _execute(run, lambda progress, **params: calls.append(1))
    assert calls == []


@pytest.mark.django_db
def test_enqueue_sends_one_message_on_commit(
    django_capture_on_commit_callbacks: Any, personas: dict[str, Any]
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        run = services.job_enqueue(
            kind="platform.selfcheck", user=personas["data_office"]
        )
    assert len(callbacks) == 1
    run.refresh_from_db()
    # Eager mode in unit tests: the message ran the job in-process.
    assert run.status == Status.DONE
    assert run.result["storage"] == "ok"
    assert run.enqueued_at is not None


def test_enqueue_of_an_unknown_kind_is_refused(db: Any) -> None:
    with pytest.raises(KeyError):
        services.job_enqueue(kind="nope")
