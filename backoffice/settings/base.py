"""Settings shared by every environment. Values come from the environment (see
``.env.example``); nothing here may reach the network at run time."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab

from backoffice.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env_str("DATAMED_VAR_DIR", str(BASE_DIR / "var")) or "var")
VAR_DIR.mkdir(parents=True, exist_ok=True)  # SQLite and the broker need it to exist

DEBUG = False
DATAMED_ENVIRONMENT = "development"
SECRET_KEY = env_str("SECRET_KEY", "")  # each environment sets or requires it
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    # Project apps first so that their templates override Wagtail's.
    "backoffice",
    "tasks",
    "referential_admin",
    "datasets",
    "workflows",
    "publications",
    "wagtail.contrib.settings",
    "wagtail.contrib.routable_page",
    "django.contrib.sitemaps",
    "wagtail.contrib.redirects",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "widget_tweaks",
    "dsfr",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "backoffice.middleware.AdminHostMiddleware",
    "backoffice.middleware.IdleSessionMiddleware",
    "backoffice.middleware.SecondFactorMiddleware",
    "backoffice.middleware.FamilyWallMiddleware",
    "backoffice.middleware.SecurityHeadersMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # Last, as django-axes requires: it turns a lockout into its answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "backoffice.urls"
WSGI_APPLICATION = "backoffice.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: PostgreSQL in production (DATABASE_URL); SQLite in WAL mode by default.
DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL",
        default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                "PRAGMA busy_timeout=20000;"
            ),
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

_VALIDATORS = "django.contrib.auth.password_validation"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"{_VALIDATORS}.UserAttributeSimilarityValidator"},
    {"NAME": f"{_VALIDATORS}.MinimumLengthValidator"},
    {"NAME": f"{_VALIDATORS}.CommonPasswordValidator"},
    {"NAME": f"{_VALIDATORS}.NumericPasswordValidator"},
]
LOGIN_URL = "wagtailadmin_login"

# Accounts. Signing in: django-axes counts failures per (user name, address) and
# locks the pair out for a while; every failure is kept (AccessFailureLog) and
# logged. Sessions last a working day and end after a quiet spell.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_ENABLE_ADMIN = False
AXES_LOCKOUT_CALLABLE = "backoffice.views.lockout_view"
AXES_VERBOSE = False
SESSION_COOKIE_AGE = env_int("SESSION_SECONDS", 10 * 3600)
SESSION_IDLE_SECONDS = env_int("SESSION_IDLE_SECONDS", 30 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# A second factor (TOTP, django-otp): offered to every account, required for the
# groups below when DATAMED_REQUIRE_TOTP is on (always in production).
DATAMED_REQUIRE_TOTP = env_bool("DATAMED_REQUIRE_TOTP", False)
DATAMED_TOTP_GROUPS = ("Data Office – gestionnaires", "Administrateurs")
OTP_TOTP_ISSUER = "DataMed"
# The admin on a host name of its own (e.g. "admin.datamed.example"): the admin
# answers only there, and the public site everywhere else.
DATAMED_ADMIN_HOST = env_str("DATAMED_ADMIN_HOST", "") or ""

# Internationalisation: everything a user reads is in French.
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns on a missing folder
STATICFILES_DIRS = [BASE_DIR / "backoffice" / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")) or "media")
# Raw extracts and uploaded referential files: outside MEDIA_ROOT and any served
# folder, handed out only by permission-checked views (backoffice.storage).
PRIVATE_ROOT = Path(env_str("PRIVATE_ROOT", str(VAR_DIR / "private")) or "private")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "datamed",
    }
}
CACHE_URL = env_str("CACHE_URL")
if CACHE_URL:
    CACHES["default"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": CACHE_URL,
    }

# Public edge: requests per client address and window (seconds), per scope.
DATAMED_RATE_WINDOW = 60
DATAMED_RATE_LIMITS = {
    "api": env_int("DATAMED_API_RATE_LIMIT", 120),
    "search": env_int("DATAMED_SEARCH_RATE_LIMIT", 60),
}

EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "datamed@localhost")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django_tasks": {"level": "WARNING"},
    },
}

# Wagtail: French admin, branded, no network call at run time.
WAGTAIL_SITE_NAME = "DataMed – back office"
WAGTAILADMIN_BASE_URL = env_str("WAGTAILADMIN_BASE_URL", "http://127.0.0.1:8000")
WAGTAILADMIN_PERMITTED_LANGUAGES = [("fr", "Français")]
WAGTAIL_I18N_ENABLED = False
WAGTAIL_ENABLE_UPDATE_CHECK = False
WAGTAIL_ENABLE_WHATS_NEW_BANNER = False
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = ["csv", "pdf", "txt", "xlsx", "zip"]
# Documents are working files of the Data Office, not public content: served by
# the permission-checked view (backoffice.wagtail_hooks), always as attachments.
WAGTAILDOCS_SERVE_METHOD = "serve_view"
WAGTAILDOCS_INLINE_CONTENT_TYPES: list[str] = []
WAGTAIL_MODERATION_ENABLED = True
WAGTAIL_WORKFLOW_ENABLED = True
# A change to a version after an approval sends it back through every step.
WAGTAIL_WORKFLOW_REQUIRE_REAPPROVAL_ON_EDIT = True
# The last approval publishes dataset versions (nobody holds their publish right).
WAGTAIL_FINISH_WORKFLOW_ACTION = "workflows.finish.workflow_finish"
# Reviewers are told by e-mail; administrators are not copied on every submission.
WAGTAILADMIN_NOTIFICATION_INCLUDE_SUPERUSERS = False

# Celery: Redis in production; kombu's filesystem transport when no broker is set,
# so that the demo runs a real worker without any server.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or "filesystem://"
BROKER_DIR = Path(env_str("DATAMED_BROKER_DIR", str(VAR_DIR / "broker")) or "broker")
JOB_MAX_SECONDS = env_int("JOB_MAX_SECONDS", 2 * 3600)


def broker_transport_options(broker_url: str, broker_dir: Path) -> dict[str, object]:
    """Folders of the filesystem transport, or Redis' visibility timeout, which must
    exceed the longest job or acks_late would deliver a running job again."""
    if broker_url.startswith("filesystem://"):
        return {
            "data_folder_in": str(broker_dir / "queue"),
            "data_folder_out": str(broker_dir / "queue"),
            "processed_folder": str(broker_dir / "processed"),
            "control_folder": str(broker_dir / "control"),
            "store_processed": False,
        }
    return {"visibility_timeout": JOB_MAX_SECONDS + 3600}


CELERY_BROKER_TRANSPORT_OPTIONS = broker_transport_options(
    CELERY_BROKER_URL, BROKER_DIR
)
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = False
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = JOB_MAX_SECONDS
CELERY_TASK_TIME_LIMIT = JOB_MAX_SECONDS + 60
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_QUEUES_NAMES = ("ingest", "publish", "default")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# Jobs: a running job whose heartbeat is older than this is considered dead.
JOB_HEARTBEAT_SECONDS = env_int("JOB_HEARTBEAT_SECONDS", 15)
JOB_STALE_SECONDS = env_int("JOB_STALE_SECONDS", 300)
JOB_MAX_ATTEMPTS = env_int("JOB_MAX_ATTEMPTS", 3)

# Agency colours used by the admin branding and the public site.
DATAMED_COLOURS = {
    "primary": "#1d3b8f",
    "primary_dark": "#13285f",
    "accent": "#e1000f",
}

DEMO_MODE = env_bool("DATAMED_DEMO", False)

# The one periodic schedule of the platform (celery beat): task names only, the
# tasks themselves live in their apps.
CELERY_BEAT_SCHEDULE = {
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

# Referential: folder where the agency drops the daily BDPM files (optional).
BDPM_DROP_DIR = env_str("BDPM_DROP_DIR", "") or ""

# Extracts: largest file accepted, and largest decompressed size of a workbook
# (a zip bomb disguised as .xlsx is refused before it is opened).
EXTRACT_MAX_BYTES = env_int("EXTRACT_MAX_BYTES", 200 * 1024 * 1024)
EXTRACT_MAX_UNCOMPRESSED_BYTES = env_int("EXTRACT_MAX_UNCOMPRESSED_BYTES", 1024**3)
# Threads cleaning the slices of an extract while PostgreSQL loads the previous ones.
EXTRACT_CLEANING_THREADS = max(1, env_int("EXTRACT_CLEANING_THREADS", 2))
# Arrow's allocator (Arrow's own variable, read by backoffice.apps): "system"
# (glibc) spends a third less time in the kernel than Arrow's default mimalloc
# on a million-row extract here (bench/ingest.py).
ARROW_MEMORY_POOL = env_str("ARROW_DEFAULT_MEMORY_POOL", "system") or "system"
# glibc malloc tuned for the extract jobs (one arena, freed blocks kept for reuse):
# see backoffice.apps._tune_malloc.
DATAMED_TUNE_MALLOC = env_bool("DATAMED_TUNE_MALLOC", True)

# The agency on the public site: its name (or logo, a static file path) beside
# the Marianne block, and its colour on charts and highlights (publications/theme.py).
DATAMED_AGENCY_NAME = env_str("DATAMED_AGENCY_NAME", "ANSM")
DATAMED_AGENCY_LOGO = env_str("DATAMED_AGENCY_LOGO", "")
DATAMED_AGENCY_COLOUR = env_str("DATAMED_AGENCY_COLOUR", "#000091")
