"""The one periodic schedule of the platform (celery beat). Imported by settings, so
it must not import Django models."""

from __future__ import annotations

from typing import Any

from celery.schedules import crontab

BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    # Every minute: https://crontab.guru/#*_*_*_*_*
    "reap-stale-jobs": {
        "task": "tasks.reap_stale_jobs",
        "schedule": crontab(minute="*"),
        "options": {"queue": "default", "expires": 55},
    },
    # Every minute: approved versions whose publication date has come.
    "publish-scheduled-versions": {
        "task": "workflows.publish_scheduled",
        "schedule": crontab(minute="*"),
        "options": {"queue": "publish", "expires": 55},
    },
    # Every day at 06:30: https://crontab.guru/#30_6_*_*_*
    "referential-refresh": {
        "task": "referential.refresh_from_drop_dir",
        "schedule": crontab(minute="30", hour="6"),
        "options": {"queue": "default", "expires": 3600},
    },
}
