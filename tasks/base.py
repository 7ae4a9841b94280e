"""The base of every background job: claim the run once, report progress, record
the outcome (with traceback on failure) and honour the time limits."""

from __future__ import annotations

import logging
import socket
import traceback as tb
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from celery import Task
from celery.exceptions import SoftTimeLimitExceeded
from django.db import OperationalError
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from backoffice.celery import app
from backoffice.exceptions import ApplicationError
from backoffice.memory import release_memory
from tasks import services
from tasks.progress import JobCancelled
from tasks.registry import JobKind, register_kind

logger = logging.getLogger(__name__)


@dataclass
class JobOutcome:
    """What a job's service returns: a result summary and whether rows had errors."""

    result: dict[str, Any] = field(default_factory=dict)
    with_errors: bool = False
    message: str = ""


JobBody = Callable[..., JobOutcome | dict[str, Any] | None]


class JobTask(Task[Any, Any]):
    """Celery task class for jobs: late acknowledgement, one message = one run id."""

    acks_late = True
    max_transient_retries = 3

    def execute_run(self, run_id: int, body: JobBody) -> None:
        worker = f"{self.request.hostname or socket.gethostname()}"
        run = services.job_claim(
            run_id=run_id, worker=worker, task_id=self.request.id or ""
        )
        if run is None:
            return
        progress = services.RunProgress(run.pk)
        progress.start_heartbeat()
        try:
            outcome = body(progress, **run.params)
        except JobCancelled:
            services.job_mark_cancelled(run_id=run.pk)
        except SoftTimeLimitExceeded:
            services.job_fail(
                run_id=run.pk,
                error=_("The job exceeded its time limit and was stopped."),
                traceback=tb.format_exc(),
            )
        except ApplicationError as exc:
            services.job_fail(
                run_id=run.pk, error=exc.message, traceback=tb.format_exc()
            )
        except OperationalError as exc:
            # A lost database connection is transient: try again a few times.
            if run.attempts < self.max_transient_retries and services.job_requeue(
                run_id=run.pk, reason=_("Database unavailable, new attempt soon.")
            ):
                raise self.retry(countdown=10 * run.attempts, exc=exc) from exc
            services.job_fail(
                run_id=run.pk,
                error=_("Database error: %(error)s") % {"error": exc},
                traceback=tb.format_exc(),
            )
        except Exception as exc:
            logger.exception("Job run %s failed", run.pk)
            services.job_fail(
                run_id=run.pk,
                error=_("Unexpected error: %(error)s") % {"error": exc},
                traceback=tb.format_exc(),
            )
        else:
            if not isinstance(outcome, JobOutcome):
                outcome = JobOutcome(result=outcome or {})
            services.job_finish(
                run_id=run.pk,
                result=outcome.result,
                with_errors=outcome.with_errors,
                message=outcome.message,
            )
        finally:
            progress.stop_heartbeat()
            # A big extract leaves gigabytes freed but kept by the allocator.
            release_memory()


def job(
    *,
    kind: str,
    label: str | Promise,
    queue: str = "default",
    soft_time_limit: int | None = None,
    time_limit: int | None = None,
) -> Callable[[JobBody], Task[Any, Any]]:
    """Declare a job kind whose body is ``body(progress, **params)``.

    The body should call one service; the registered Celery task takes a run id.
    """

    def decorator(body: JobBody) -> Task[Any, Any]:
        task_name = f"jobs.{kind}"

        def run(self: JobTask, run_id: int) -> None:
            self.execute_run(run_id, body)

        run.__name__ = body.__name__
        run.__doc__ = body.__doc__
        options: dict[str, Any] = {"bind": True, "base": JobTask, "name": task_name}
        options["queue"] = queue
        if soft_time_limit is not None:
            options["soft_time_limit"] = soft_time_limit
        if time_limit is not None:
            options["time_limit"] = time_limit
        task: Task[Any, Any] = app.task(**options)(run)
        register_kind(JobKind(kind=kind, label=label, queue=queue, task_name=task_name))
        return task

    return decorator
