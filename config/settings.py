"""Django settings. Every value comes from the environment; see .env.example."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from config.env import database_from_url, env_bool, env_int, env_list, env_str, syslog_handler

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("HUIYING_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DJANGO_DEBUG", False)
SECRET_KEY = env_str(
    "DJANGO_SECRET_KEY", "dev-only-insecure-key-change-me-in-production-0123456789"
)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "huey.contrib.djhuey",
    "huiying.accounts.axes_app.AxesConfig",  # django-axes, named in Chinese
    "huiying.common",
    "huiying.orgs",
    "huiying.accounts",
    "huiying.monitoring",
    "huiying.cases",
    "huiying.notify",
    "huiying.analysis",
    "huiying.supervision",
    "huiying.api",
    "huiying.demo",
    "huiying.worker",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "huiying.common.security.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "huiying.accounts.middleware.SessionTimeoutMiddleware",
    "huiying.accounts.middleware.LoginRequiredMiddleware",
    "huiying.accounts.middleware.TwoFactorGateMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "huiying" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "huiying.accounts.context_processors.roles",
                "huiying.notify.context_processors.unread",
            ],
        },
    },
]

DATABASES = {
    "default": database_from_url(env_str("DATABASE_URL", "sqlite:///var/huiying.sqlite3"), BASE_DIR)
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "cases:home"
LOGOUT_REDIRECT_URL = "accounts:login"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if env_bool("HUIYING_FAST_PASSWORD_HASHER", False):
    # Tests create hundreds of users; Argon2 stays the default everywhere else.
    PASSWORD_HASHERS.insert(0, "django.contrib.auth.hashers.MD5PasswordHasher")
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Lock-out after repeated failed logins (django-axes): by user name and address together.
AXES_FAILURE_LIMIT = env_int("HUIYING_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("HUIYING_LOGIN_COOLOFF_MINUTES", 15) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False
# The name axes records is capped to its column: a longer one crashed the login on PostgreSQL.
AXES_USERNAME_CALLABLE = "huiying.accounts.lockout.axes_username"

# Sessions end after this long without a request, and this long after signing in whatever
# happens (huiying/accounts/middleware.py); the cookie lives no longer than the second.
HUIYING_SESSION_IDLE_MINUTES = env_int("HUIYING_SESSION_IDLE_MINUTES", 120)
HUIYING_SESSION_MAX_HOURS = env_int("HUIYING_SESSION_MAX_HOURS", 12)
SESSION_COOKIE_AGE = HUIYING_SESSION_MAX_HOURS * 3600
# API tokens expire this many days after they are issued (huiying/accounts/tokens.py).
HUIYING_API_TOKEN_DAYS = env_int("HUIYING_API_TOKEN_DAYS", 90)
# Who must sign in with a one-time code (TOTP) besides the password: "reviewer" (网信办 审核人 and
# 网信办 leaders, who issue forms), "admin" (staff and superusers), any other role of a unit
# (monitor, handler, leader, spokesperson), or "all". Empty: nobody is forced (anyone may still
# enrol). See huiying/accounts/twofactor.py.
HUIYING_2FA_REQUIRED_ROLES = env_list("HUIYING_2FA_REQUIRED_ROLES", ["reviewer", "admin"])

LANGUAGE_CODE = "zh-hans"
# Chinese only: a browser set to English must not get Django's own messages or the admin in
# English (the LocaleMiddleware would follow its Accept-Language to any language listed here).
LANGUAGES = [("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "huiying" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "huiying" / "static"]
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns about a missing root even when using finders
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("HUIYING_MEDIA_ROOT", str(VAR_DIR / "media")))
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# A request body (files not counted) larger than this answers 413: a Chinese page, or the
# API's JSON error "too_large".
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("HUIYING_MAX_REQUEST_MB", 20) * 1024 * 1024
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("HUIYING_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
# On every response (huiying.common.security): the system's own scripts, styles and images
# only, nothing inline, no plugins, no framing, forms post only back here. Empty: no header.
STRICT_CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
HUIYING_CONTENT_SECURITY_POLICY = os.environ.get(
    "HUIYING_CONTENT_SECURITY_POLICY", STRICT_CONTENT_SECURITY_POLICY
)
# HSTS once the site is served over HTTPS: one year by default when the cookies are Secure.
HUIYING_HSTS_SECONDS = env_int(
    "HUIYING_HSTS_SECONDS", 365 * 24 * 3600 if SESSION_COOKIE_SECURE else 0
)
SECURE_HSTS_SECONDS = HUIYING_HSTS_SECONDS
SECURE_HSTS_INCLUDE_SUBDOMAINS = True

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "huiying.api.authentication.HashedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON only; DRF's browsable HTML pages only while debugging.
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        *(["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "huiying.api.pagination.Pagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "huiying.api.errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Huiying 回应 API",
    "DESCRIPTION": "Assignment forms (交办单) for other government systems; token auth, same permissions as the pages.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema is for the systems that integrate: they read it with their token (docs/api.md).
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
}

# Durable task queue: SQLite file by default (no server), Redis when HUEY_REDIS_URL is set.
HUEY_REDIS_URL = env_str("HUEY_REDIS_URL", "")
from config.env import redis_url_with_defaults  # noqa: E402

if HUEY_REDIS_URL:
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": env_str("HUEY_NAME", "huiying"),
        "url": redis_url_with_defaults(HUEY_REDIS_URL),
        "immediate": env_bool("HUEY_IMMEDIATE", False),
        "results": False,  # nobody reads task results: do not pile them up in the queue
        "consumer": {"workers": env_int("HUEY_WORKERS", 4), "worker_type": "thread"},
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": env_str("HUEY_NAME", "huiying"),
        "filename": env_str("HUEY_SQLITE_PATH", str(VAR_DIR / "huey-queue.sqlite3")),
        "immediate": env_bool("HUEY_IMMEDIATE", False),
        "results": False,  # nobody reads task results: do not pile them up in the queue
        "consumer": {"workers": env_int("HUEY_WORKERS", 2), "worker_type": "thread"},
    }
# Periodic jobs run once per period however many workers run (huiying/worker/periodic.py): a
# run whose worker died is taken over after this lease; a lost database is waited for this long.
HUIYING_WORKER_LEASE_SECONDS = env_int("HUIYING_WORKER_LEASE_SECONDS", 120)
HUIYING_WORKER_DB_PATIENCE_SECONDS = env_int("HUIYING_WORKER_DB_PATIENCE_SECONDS", 60)

# Domain settings.
HUIYING_CITY_NAME = env_str("HUIYING_CITY_NAME", "南通市")
# Networks that monitoring sources may reach besides the public internet (CIDR, comma-separated).
# Loopback, private and link-local addresses are refused unless listed here.
HUIYING_SOURCE_ALLOWED_NETWORKS = env_list("HUIYING_SOURCE_ALLOWED_NETWORKS", [])
# Sources `collect --once` polls at the same time (the worker's pool is HUEY_WORKERS).
HUIYING_COLLECT_WORKERS = env_int("HUIYING_COLLECT_WORKERS", 4)
# Processes preparing large ingestion batches (monitoring/ingest_prepare.py): 0 = one per core
# (at most 4), 1 = prepare in the calling process.
HUIYING_INGEST_PROCESSES = env_int("HUIYING_INGEST_PROCESSES", 0)
HUIYING_FORM_NUMBER_PREFIX = env_str("HUIYING_FORM_NUMBER_PREFIX", "通网舆交")
HUIYING_OFFICE_HOURS = env_str("HUIYING_OFFICE_HOURS", "08:30-12:00,13:30-17:30")
HUIYING_BACKFILL_HOURS = env_int("HUIYING_BACKFILL_HOURS", 24)
# A back-filled emergency form is issued at once; a second 网信办 reviewer confirms it within this.
HUIYING_BACKFILL_CONFIRM_HOURS = env_int("HUIYING_BACKFILL_CONFIRM_HOURS", 24)
HUIYING_CONTINUED_RELEASE_HOURS = env_int("HUIYING_CONTINUED_RELEASE_HOURS", 24)
# A running clock turns "due soon" this long before its deadline (at most a quarter of the time
# allowed, so short emergency clocks are not amber from the start).
HUIYING_DUE_SOON_MINUTES = env_int("HUIYING_DUE_SOON_MINUTES", 120)
# The Chinese font embedded in PDFs of the form; empty: found among the usual places.
HUIYING_PDF_FONT = env_str("HUIYING_PDF_FONT", "")

# The audit chain's key and checkpoints (huiying/common/audit_key.py, checkpoints.py). Both
# belong outside the database and, in production, out of reach of its administrator.
HUIYING_AUDIT_KEY_FILE = Path(
    env_str("HUIYING_AUDIT_KEY_FILE", str(VAR_DIR / "audit" / "audit.key"))
)
HUIYING_AUDIT_CHECKPOINT_FILE = Path(
    env_str("HUIYING_AUDIT_CHECKPOINT_FILE", str(VAR_DIR / "audit" / "checkpoints.jsonl"))
)
# Also send every checkpoint to syslog: /dev/log, host:port (UDP) or tcp://host:port.
HUIYING_AUDIT_SYSLOG = env_str("HUIYING_AUDIT_SYSLOG", "")
# What `huiying audit verify` replays against the tables, besides the chain and checkpoints.
HUIYING_AUDIT_CHECKS = ["huiying.cases.integrity.FormIntegrity"]

LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("HUIYING_LOG_LEVEL", "INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        "django.request": {"level": "ERROR"},
        # Huey logs every task it runs at INFO: several lines every ten seconds.
        "huey": {"level": env_str("HUIYING_QUEUE_LOG_LEVEL", "WARNING")},
        # fontTools logs every table it subsets at INFO, a screenful for each PDF of a form.
        "fontTools": {"level": "WARNING"},
    },
}

if HUIYING_AUDIT_SYSLOG:
    LOGGING["handlers"]["audit_syslog"] = syslog_handler(HUIYING_AUDIT_SYSLOG)
    LOGGING["loggers"]["huiying.audit.checkpoint"] = {"handlers": ["audit_syslog"], "level": "INFO"}

# Outbox: the consumers of domain events, and how a commit wakes the worker to drain them.
from config.outbox import OUTBOX_CONSUMERS  # noqa: E402

HUIYING_OUTBOX_CONSUMERS = OUTBOX_CONSUMERS
HUIYING_OUTBOX_WAKE = "huiying.worker.tasks.wake_outbox"

# Notifications (huiying/notify): outside channels, quiet hours, retries. See README "通知".
HUIYING_NOTIFY_WAKE = "huiying.worker.tasks.wake_notify"
HUIYING_NOTIFY_BASE_URL = env_str("HUIYING_NOTIFY_BASE_URL", "")
HUIYING_NOTIFY_QUIET_HOURS = env_bool("HUIYING_NOTIFY_QUIET_HOURS", True)
HUIYING_NOTIFY_MAX_ATTEMPTS = env_int("HUIYING_NOTIFY_MAX_ATTEMPTS", 6)
HUIYING_NOTIFY_BACKOFF_SECONDS = env_int("HUIYING_NOTIFY_BACKOFF_SECONDS", 30)
HUIYING_NOTIFY_HTTP_TIMEOUT = env_int("HUIYING_NOTIFY_HTTP_TIMEOUT", 10)
HUIYING_NOTIFY_LEASE_SECONDS = env_int("HUIYING_NOTIFY_LEASE_SECONDS", 300)
HUIYING_SMTP_HOST = env_str("HUIYING_SMTP_HOST", "")
HUIYING_SMTP_PORT = env_int("HUIYING_SMTP_PORT", 25)
HUIYING_SMTP_USER = env_str("HUIYING_SMTP_USER", "")
HUIYING_SMTP_PASSWORD = env_str("HUIYING_SMTP_PASSWORD", "")
HUIYING_SMTP_TLS = env_str("HUIYING_SMTP_TLS", "")  # "", "starttls" or "ssl"
HUIYING_SMTP_FROM = env_str("HUIYING_SMTP_FROM", "")
HUIYING_SMS_URL = env_str("HUIYING_SMS_URL", "")
HUIYING_SMS_METHOD = env_str("HUIYING_SMS_METHOD", "POST")
HUIYING_SMS_HEADERS = env_str("HUIYING_SMS_HEADERS", "")
HUIYING_SMS_BODY = env_str("HUIYING_SMS_BODY", "")
# --- supervision (催办督办, 问责) ---------------------------------------------------------------
HUIYING_REMINDER_NUMBER_PREFIX = env_str("HUIYING_REMINDER_NUMBER_PREFIX", "通网催")
HUIYING_ORDER_NUMBER_PREFIX = env_str("HUIYING_ORDER_NUMBER_PREFIX", "通网督")
HUIYING_REFERRAL_NUMBER_PREFIX = env_str("HUIYING_REFERRAL_NUMBER_PREFIX", "通网问")
# Parts other apps add to the form page and its timeline's words, by dotted path, so the core
# (cases) names no app that watches it.
HUIYING_FORM_PANELS = ["huiying.supervision.panels.form_panel"]
HUIYING_EVENT_LABELS = ["huiying.supervision.panels.EVENT_LABELS"]
HUIYING_DISCIPLINE_HOME = "supervision:discipline"
