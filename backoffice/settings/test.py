"""Test settings: fast, synchronous by default, same databases as configured."""

from __future__ import annotations

from backoffice.env import env_str

from .base import *  # noqa: F403
from .base import (
    CELERY_BROKER_URL,
    DATABASES,
    STORAGES,
    VAR_DIR,
    broker_transport_options,
)

SECRET_KEY = "test-only-secret-key-not-for-any-real-use-0123456789abcdef"  # noqa: S105
DEBUG = False
DATAMED_ENVIRONMENT = "test"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"]["BACKEND"] = (
    "django.contrib.staticfiles.storage.StaticFilesStorage"
)
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
MEDIA_ROOT = VAR_DIR / "test-media"
PRIVATE_ROOT = VAR_DIR / "test-private"
# A file-based SQLite test database, so that a real worker process can open it.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {
        "NAME": env_str("DATAMED_TEST_SQLITE", str(VAR_DIR / "test-db.sqlite3"))
    }
CELERY_BROKER_TRANSPORT_OPTIONS = broker_transport_options(
    CELERY_BROKER_URL, VAR_DIR / "test-broker"
)
# The whole suite talks to the public edge from one address within a minute: the
# limits are set per test where the throttle itself is tested.
DATAMED_RATE_LIMITS = {"api": 0, "search": 0}
