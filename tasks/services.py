"""Services that own every write to JobRun: enqueue, claim, progress, finish, cancel,
retry and reaping. The worker and the admin views only call these."""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models, transaction
from django.db.models.functions import Concat
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.celery import app
from backoffice.exceptions import InvalidTransition
from tasks.models import JobRun
from tasks.progress import JobCancelled
from tasks.registry import get_kind

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

logger = logging.getLogger(__name__)

Status = JobRun.Status


def _log_line(message: str) -> str:
    stamp = timezone.localtime().strftime("%d/%m/%Y %H:%M:%S")
    return f"[{stamp}] {message}\n"


def job_log(*, run_id: int, message: str) -> None:
    """Append one timestamped line to the run's log with a single UPDATE."""
    JobRun.objects.filter(pk=run_id).update(
        log=Concat(models.F("log"), models.Value(_log_line(message)))
    )


def _send(run: JobRun) -> None:
    job_kind = get_kind(run.kind)
    JobRun.objects.filter(pk=run.pk).update(enqueued_at=timezone.now())
    options: dict[str, Any] = {"queue": job_kind.queue}
    if run.time_limit:
        options["soft_time_limit"] = run.time_limit
        options["time_limit"] = run.time_limit + 30
    app.tasks[job_kind.task_name].apply_async(args=(run.pk,), **options)


def _run_create(
    *,
    kind: str,
    params: dict[str, Any] | None,
    user: AbstractBaseUser | None,
    target: models.Model | None,
    target_label: str,
    family: str,
    time_limit: int | None = None,
) -> JobRun:
    """Save a pending run of a registered kind (KeyError for an unknown kind)."""
    job_kind = get_kind(kind)
    run = JobRun(
        kind=kind,
        queue=job_kind.queue,
        params=params or {},
        created_by=user if user is not None and user.is_authenticated else None,  # type: ignore[misc]
        family=family,
        time_limit=time_limit,
        target_label=target_label or (str(target) if target is not None else ""),
    )
    if target is not None:
        run.target_type = ContentType.objects.get_for_model(target)
        run.target_id = str(target.pk)
    run.full_clean()
    run.save()
    return run


def job_enqueue(
    *,
    kind: str,
    params: dict[str, Any] | None = None,
    user: AbstractBaseUser | None = None,
    target: models.Model | None = None,
    target_label: str = "",
    family: str = "",
    time_limit: int | None = None,
) -> JobRun:
    """Create a pending run and send its message once the transaction commits.

    Raises KeyError for an unknown kind. The message carries only the run's id.
    """
    run = _run_create(
        kind=kind,
        params=params,
        user=user,
        target=target,
        target_label=target_label,
        family=family,
        time_limit=time_limit,
    )
    transaction.on_commit(lambda: _send(run))
    return run


def job_run_inline(
    *,
    kind: str,
    params: dict[str, Any] | None = None,
    user: AbstractBaseUser | None = None,
    target: models.Model | None = None,
    target_label: str = "",
    family: str = "",
) -> JobRun:
    """Create a run and execute it in this process, through the same claim,
    progress and failure handling as a worker; returns the finished run.

    For commands that must wait for their job without depending on a worker.
    """
    run = _run_create(
        kind=kind,
        params=params,
        user=user,
        target=target,
        target_label=target_label,
        family=family,
    )
    JobRun.objects.filter(pk=run.pk).update(enqueued_at=timezone.now())
    app.tasks[get_kind(kind).task_name].apply(args=(run.pk,), throw=False)
    run.refresh_from_db()
    return run


def job_claim(*, run_id: int, worker: str, task_id: str = "") -> JobRun | None:
    """Move a pending run to running for this worker, exactly once.

    Returns the run, or None when another delivery already claimed it (or it was
    cancelled): a second delivery of the same message then does nothing.
    """
    now = timezone.now()
    claimed = JobRun.objects.filter(
        pk=run_id, status=Status.PENDING, cancel_requested=False
    ).update(
        status=Status.RUNNING,
        worker=worker[:255],
        task_id=task_id[:255],
        started_at=now,
        heartbeat_at=now,
        finished_at=None,
        attempts=models.F("attempts") + 1,
    )
    if claimed != 1:
        logger.info("Job run %s not claimed by %s (already taken)", run_id, worker)
        return None
    run = JobRun.objects.get(pk=run_id)
    job_log(
        run_id=run_id,
        message=_("Started by %(worker)s (attempt %(attempt)s).")
        % {"worker": worker, "attempt": run.attempts},
    )
    return run


def job_finish(
    *,
    run_id: int,
    result: dict[str, Any] | None = None,
    with_errors: bool = False,
    message: str = "",
) -> bool:
    """Close a running run as done (or done with errors). Returns False if it was
    no longer running (reaped or cancelled meanwhile)."""
    status = Status.DONE_WITH_ERRORS if with_errors else Status.DONE
    fields: dict[str, Any] = {
        "status": status,
        "finished_at": timezone.now(),
        "result": result or {},
        "error": message if with_errors else "",
    }
    closed = JobRun.objects.filter(pk=run_id, status=Status.RUNNING).update(**fields)
    if closed:
        job_log(run_id=run_id, message=message or _("Finished."))
    return closed == 1


def job_fail(*, run_id: int, error: str, traceback: str = "") -> None:
    """Close a running run as failed, keeping the French message and the traceback."""
    JobRun.objects.filter(pk=run_id, status=Status.RUNNING).update(
        status=Status.FAILED,
        finished_at=timezone.now(),
        error=error,
        traceback=traceback,
    )
    job_log(run_id=run_id, message=_("Failed: %(error)s") % {"error": error})


def job_mark_cancelled(*, run_id: int) -> None:
    """Close a run whose job stopped after seeing its cancellation request."""
    JobRun.objects.filter(pk=run_id, status=Status.RUNNING).update(
        status=Status.CANCELLED, finished_at=timezone.now()
    )
    job_log(run_id=run_id, message=_("Cancelled."))


def job_requeue(*, run_id: int, reason: str) -> bool:
    """Put a running run back to pending after a transient failure (kept attempts)."""
    back = JobRun.objects.filter(pk=run_id, status=Status.RUNNING).update(
        status=Status.PENDING, worker="", heartbeat_at=None
    )
    if back:
        job_log(run_id=run_id, message=reason)
    return back == 1


def job_cancel(*, run: JobRun, user: AbstractBaseUser) -> JobRun:
    """Cancel a pending run at once, or ask a running one to stop at its next step.

    Raises InvalidTransition when the run has already finished.
    """
    name = user.get_username()
    if JobRun.objects.filter(pk=run.pk, status=Status.PENDING).update(
        status=Status.CANCELLED, cancel_requested=True, finished_at=timezone.now()
    ):
        job_log(run_id=run.pk, message=_("Cancelled by %(user)s.") % {"user": name})
    elif JobRun.objects.filter(pk=run.pk, status=Status.RUNNING).update(
        cancel_requested=True
    ):
        job_log(
            run_id=run.pk,
            message=_("Cancellation requested by %(user)s.") % {"user": name},
        )
    else:
        raise InvalidTransition(
            _("This job has already finished: it cannot be cancelled.")
        )
    run.refresh_from_db()
    return run


def job_retry(*, run: JobRun, user: AbstractBaseUser | None) -> JobRun:
    """Send a failed or cancelled run again, as a new attempt of the same run.

    Raises InvalidTransition for a run that is not failed or cancelled.
    """
    updated = JobRun.objects.filter(
        pk=run.pk, status__in=(Status.FAILED, Status.CANCELLED)
    ).update(
        status=Status.PENDING,
        cancel_requested=False,
        error="",
        traceback="",
        worker="",
        progress_done=0,
        stage="",
        finished_at=None,
        heartbeat_at=None,
    )
    if not updated:
        raise InvalidTransition(_("Only a failed or cancelled job can be retried."))
    name = user.get_username() if user is not None else _("the system")
    job_log(run_id=run.pk, message=_("Retry requested by %(user)s.") % {"user": name})
    run.refresh_from_db()
    transaction.on_commit(lambda: _send(run))
    return run


def jobs_reap_stale(*, older_than: timedelta | None = None) -> list[int]:
    """Fail every running run whose worker stopped sending heartbeats, and send
    again the pending runs whose message seems lost. Returns the reaped run ids.

    A reaped run can be retried; a duplicate message for a pending run is harmless
    because claiming is conditional.
    """
    limit = older_than or timedelta(seconds=settings.JOB_STALE_SECONDS)
    reaped: list[int] = []
    for run in JobRun.objects.stale(older_than=limit).only("pk", "heartbeat_at"):
        silent_for = timezone.now() - (run.heartbeat_at or timezone.now())
        message = _(
            "The worker running this job stopped responding (no signal for "
            "%(minutes)s min). The job was interrupted; you can retry it."
        ) % {"minutes": max(1, int(silent_for.total_seconds() // 60))}
        if JobRun.objects.filter(
            pk=run.pk, status=Status.RUNNING, heartbeat_at=run.heartbeat_at
        ).update(status=Status.FAILED, finished_at=timezone.now(), error=message):
            job_log(run_id=run.pk, message=message)
            reaped.append(run.pk)
    lost_before = timezone.now() - limit
    lost = JobRun.objects.filter(status=Status.PENDING, enqueued_at__lt=lost_before)
    for run in lost:
        _send(run)
    if reaped:
        logger.warning("Reaped stale job runs: %s", reaped)
    return reaped


class RunProgress:
    """ProgressReporter writing to a JobRun: throttled progress updates, a heartbeat
    thread while the job runs, and cooperative cancellation."""

    min_interval = 0.5

    def __init__(self, run_id: int) -> None:
        self.run_id = run_id
        self._last_write = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def update(
        self, done: int, total: int | None = None, stage: str | None = None
    ) -> None:
        now = time.monotonic()
        finished = total is not None and done >= total
        if (
            stage is None
            and not finished
            and now - self._last_write < self.min_interval
        ):
            return
        self._last_write = now
        fields: dict[str, Any] = {"progress_done": done, "heartbeat_at": timezone.now()}
        if total is not None:
            fields["progress_total"] = total
            fields["progress_done"] = min(done, total)
        if stage is not None:
            fields["stage"] = stage[:200]
        JobRun.objects.filter(pk=self.run_id).update(**fields)
        if stage is not None:
            job_log(run_id=self.run_id, message=stage)
        self.raise_if_cancelled()

    def log(self, message: str) -> None:
        job_log(run_id=self.run_id, message=message)

    def raise_if_cancelled(self) -> None:
        if JobRun.objects.filter(pk=self.run_id, cancel_requested=True).exists():
            raise JobCancelled

    def start_heartbeat(self) -> None:
        self._thread = threading.Thread(
            target=self._beat, name=f"heartbeat-{self.run_id}", daemon=True
        )
        self._thread.start()

    def stop_heartbeat(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _beat(self) -> None:
        interval = settings.JOB_HEARTBEAT_SECONDS
        try:
            while not self._stop.wait(interval):
                JobRun.objects.filter(pk=self.run_id, status=Status.RUNNING).update(
                    heartbeat_at=timezone.now()
                )
        finally:
            connection.close()
