"""Production: refuses to start without its secrets and hosts."""

from __future__ import annotations

import dj_database_url

from backoffice.env import env_bool, env_int, env_list, env_required, env_secret

from .base import *  # noqa: F403

DEBUG = False
DATAMED_ENVIRONMENT = "production"
SECRET_KEY = env_secret("SECRET_KEY")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
if not ALLOWED_HOSTS:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("The environment variable ALLOWED_HOSTS is required.")
DATABASES = {
    "default": dj_database_url.parse(
        env_required("DATABASE_URL"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}

SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
# The Data Office and the administrators always sign in with a second factor.
DATAMED_REQUIRE_TOTP = True
