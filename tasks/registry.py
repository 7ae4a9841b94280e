"""The kinds of job the platform knows: each maps to one Celery task and a queue."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise

QUEUES = ("ingest", "publish", "default")


@dataclass(frozen=True)
class JobKind:
    kind: str
    label: str | Promise
    queue: str
    task_name: str


_KINDS: dict[str, JobKind] = {}


def register_kind(job_kind: JobKind) -> None:
    """Record a job kind; a second registration of the same kind must be identical."""
    if job_kind.queue not in QUEUES:
        raise ValueError(f"Unknown queue {job_kind.queue!r} for {job_kind.kind}")
    existing = _KINDS.get(job_kind.kind)
    if existing is not None and existing.task_name != job_kind.task_name:
        raise ValueError(f"Job kind {job_kind.kind!r} registered twice")
    _KINDS[job_kind.kind] = job_kind


def get_kind(kind: str) -> JobKind:
    """Return the registered kind; raise KeyError for an unknown one."""
    return _KINDS[kind]


def kind_label(kind: str) -> str | Promise:
    job_kind = _KINDS.get(kind)
    return job_kind.label if job_kind else kind


def kind_choices() -> list[tuple[str, str | Promise]]:
    return sorted(((k.kind, k.label) for k in _KINDS.values()), key=lambda c: str(c[1]))


#: French labels of the keys of jobs' results, for the job screen.
_RESULT_LABELS: dict[str, str | Promise] = {}


def register_result_labels(labels: dict[str, str | Promise]) -> None:
    """Declare how the job screen names some result keys."""
    _RESULT_LABELS.update(labels)


def result_label(key: str) -> str | Promise:
    return _RESULT_LABELS.get(key, key)
