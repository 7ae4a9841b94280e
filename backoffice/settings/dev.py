"""Local development and the bundled demo (``make run``)."""

from __future__ import annotations

from backoffice.env import env_bool, env_str

from .base import *  # noqa: F403
from .base import STORAGES

DEBUG = env_bool("DEBUG", True)
DATAMED_ENVIRONMENT = "development"
# A fixed key is acceptable only here: production refuses to start without one.
SECRET_KEY = env_str("SECRET_KEY") or "dev-only-insecure-key-do-not-use-in-production"
STORAGES["staticfiles"]["BACKEND"] = (
    "django.contrib.staticfiles.storage.StaticFilesStorage"
)
DEMO_MODE = True
