"""JobRun: the persisted record of one background job, written by the worker itself."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backoffice.roles import families_of, sees_every_family
from tasks.registry import kind_label, result_label

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


class JobRunQuerySet(models.QuerySet["JobRun"]):
    def active(self) -> JobRunQuerySet:
        return self.filter(status__in=JobRun.ACTIVE_STATUSES)

    def stale(self, *, older_than: timedelta) -> JobRunQuerySet:
        """Running jobs whose worker has not sent a heartbeat for ``older_than``."""
        limit = timezone.now() - older_than
        return self.filter(status=JobRun.Status.RUNNING, heartbeat_at__lt=limit)

    def for_target(self, target: models.Model) -> JobRunQuerySet:
        """Runs whose target is this object, newest first."""
        from django.contrib.contenttypes.models import ContentType

        return self.filter(
            target_type=ContentType.objects.get_for_model(target),
            target_id=str(target.pk),
        ).order_by("-pk")

    def visible_to(self, user: AbstractBaseUser | AnonymousUser) -> JobRunQuerySet:
        """Jobs a user may see: all for managers, else their own and their families'."""
        if not user.is_authenticated:
            return self.none()
        if sees_every_family(user):
            return self
        return self.filter(
            models.Q(created_by=user) | models.Q(family__in=families_of(user))
        )


class JobRun(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        DONE_WITH_ERRORS = "done_with_errors", _("Done with errors")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    ACTIVE_STATUSES = (Status.PENDING, Status.RUNNING)
    FINISHED_STATUSES = (
        Status.DONE,
        Status.DONE_WITH_ERRORS,
        Status.FAILED,
        Status.CANCELLED,
    )

    kind = models.CharField(_("kind"), max_length=100, db_index=True)
    queue = models.CharField(_("queue"), max_length=30, default="default")
    family = models.CharField(_("data family"), max_length=50, blank=True)
    target_label = models.CharField(_("target"), max_length=255, blank=True)
    target_type = models.ForeignKey(
        "contenttypes.ContentType",
        verbose_name=_("target type"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    target_id = models.CharField(_("target id"), max_length=64, blank=True)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    time_limit = models.PositiveIntegerField(
        _("time limit (seconds)"),
        null=True,
        blank=True,
        help_text=_("Soft limit for this run; the job kind's limit applies otherwise."),
    )
    result = models.JSONField(_("result"), default=dict, blank=True)

    status = models.CharField(
        _("status"),
        max_length=20,
        choices=Status.choices,
        default=Status.PENDING,
        db_index=True,
    )
    progress_done = models.PositiveBigIntegerField(_("done"), default=0)
    progress_total = models.PositiveBigIntegerField(_("total"), null=True, blank=True)
    stage = models.CharField(_("stage"), max_length=200, blank=True)
    log = models.TextField(_("log"), blank=True)
    error = models.TextField(_("error"), blank=True)
    traceback = models.TextField(_("traceback"), blank=True)
    cancel_requested = models.BooleanField(_("cancellation requested"), default=False)

    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    worker = models.CharField(_("worker"), max_length=255, blank=True)
    task_id = models.CharField(_("Celery task id"), max_length=255, blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="job_runs",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    enqueued_at = models.DateTimeField(
        _("last sent to a worker"), null=True, blank=True
    )
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("last heartbeat"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    objects = JobRunQuerySet.as_manager()

    class Meta:
        verbose_name = _("job")
        verbose_name_plural = _("jobs")
        ordering = ["-created_at", "-pk"]
        permissions = [("manage_jobrun", _("Can cancel and retry any job"))]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress_total__isnull=True)
                | models.Q(progress_done__lte=models.F("progress_total")),
                name="jobrun_progress_within_total",
            ),
        ]

    def __str__(self) -> str:
        label = self.kind_label
        return f"{label} #{self.pk}" if self.pk else str(label)

    @property
    def kind_label(self) -> str:
        return str(kind_label(self.kind))

    @property
    def percent(self) -> int | None:
        """Progress in percent, or None when the total is unknown."""
        if self.status == self.Status.DONE:
            return 100
        if not self.progress_total:
            return None
        return min(100, int(100 * self.progress_done / self.progress_total))

    @property
    def duration_display(self) -> str:
        """The duration as "2 min 05 s", or an empty string before the start."""
        duration = self.duration
        if duration is None:
            return ""
        seconds = int(duration.total_seconds())
        hours, rest = divmod(seconds, 3600)
        minutes, seconds = divmod(rest, 60)
        if hours:
            return f"{hours} h {minutes:02d} min"
        if minutes:
            return f"{minutes} min {seconds:02d} s"
        return f"{seconds} s"

    @property
    def duration(self) -> timedelta | None:
        if not self.started_at:
            return None
        return (self.finished_at or timezone.now()) - self.started_at

    @property
    def result_items(self) -> list[tuple[str, object]]:
        """The result as (French label, value) pairs, for the job screen."""
        return [(str(result_label(key)), value) for key, value in self.result.items()]

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES

    @property
    def can_cancel(self) -> bool:
        return self.is_active and not self.cancel_requested

    @property
    def can_retry(self) -> bool:
        return self.status in (self.Status.FAILED, self.Status.CANCELLED)
