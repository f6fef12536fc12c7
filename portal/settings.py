"""Kairan settings: one file, read from the environment, failing loudly on a bad value.

Embedded defaults (no variables set) run the whole portal on one laptop: SQLite and a
filesystem broker under var/, mail written to var/mail/. Production sets DATABASE_URL,
REDIS_URL, SECRET_KEY, ALLOWED_HOSTS and the SMTP variables.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("KAIRAN_VAR_DIR", BASE_DIR / "var"))


def env_str(name: str, default: str = "") -> str:
    # An empty variable means "not set", as for the other env_* readers (compose files
    # often write `NAME=` for an unset value).
    return os.environ.get(name) or default


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {value}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
DEMO = env_bool("KAIRAN_DEMO", False)
TESTING = env_bool("KAIRAN_TESTING", False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if DEBUG or DEMO or TESTING:
        SECRET_KEY = "insecure-development-key-never-use-in-production"
    else:
        raise ImproperlyConfigured("SECRET_KEY must be set unless DEBUG=1 (see README.md)")

ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"] if DEBUG or DEMO or TESTING else []
)
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must list this site's host names")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# Says in the person's language that the form expired, and shows back what they typed.
CSRF_FAILURE_VIEW = "portal.error_pages.csrf_failure"
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
if not SITE_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured(f"SITE_URL must start with http:// or https://, not {SITE_URL!r}")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "csp",
    "portal",
    "circulation",
    "portal.retention",
]

MIDDLEWARE = [
    # First: the moment the request arrived, by which replies are judged at the deadline.
    "portal.middleware.ArrivalMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After authentication: the language is the chosen one (cookie), else the person's
    # saved one, else Japanese; the browser's Accept-Language is not consulted.
    "portal.middleware.PortalLocaleMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "portal.middleware.AuditContextMiddleware",
    # Request id and user id on every log line (LOG_FORMAT=json), after authentication.
    "portal.ops.logs.RequestLogContextMiddleware",
    "portal.auditlog.middleware.RefusalAuditMiddleware",  # after AuditContextMiddleware
    "portal.middleware.RequireSecretariatMFAMiddleware",
    # Innermost: its page renders in the person's language, with the navigation.
    "portal.error_pages.MethodNotAllowedPageMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"
ASGI_APPLICATION = "portal.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.portal",
                "portal.auditlog.context_processors.audit_review",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'kairan.sqlite3'}")
try:
    # Health checks: a connection kept across requests that the database dropped (a restart)
    # is replaced before the request uses it, instead of failing that request or task.
    DATABASES = {
        "default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
    }
except Exception as exc:  # dj-database-url raises several types for a bad URL
    raise ImproperlyConfigured(f"DATABASE_URL is not a database URL: {exc}") from exc
if not DATABASES["default"].get("NAME"):
    raise ImproperlyConfigured(f"DATABASE_URL must name a database, not {DATABASE_URL!r}")
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # Worker, beat and web share the file: wait for locks instead of failing at once.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "portal.User"

# --- Cache (allauth rate limits need a real, shared cache) ----------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL and not REDIS_URL.startswith(("redis://", "rediss://")):
    raise ImproperlyConfigured(f"REDIS_URL must start with redis://, not {REDIS_URL!r}")
if REDIS_URL:
    CACHES = {
        "default": {
            # Redis, or this process's memory while Redis is unreachable (portal/cache.py).
            "BACKEND": "portal.cache.RedisOrLocalCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "kairan-cache",
            "OPTIONS": {"socket_connect_timeout": 1.0, "socket_timeout": 1.0},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# --- Accounts (django-allauth 65) -----------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
ACCOUNT_ADAPTER = "portal.accounts.InvitationOnlyAccountAdapter"
ACCOUNT_FORMS = {"login": "portal.login_form.KairanLoginForm"}
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_LOGIN_BY_CODE_TIMEOUT = 600
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Kairan] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if SITE_URL.startswith("https") else "http"
ACCOUNT_PREVENT_ENUMERATION = True
# No mail to unknown addresses: it would invite strangers to a sign-up that is closed, and
# would let anyone make the portal mail any address.
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Kairan"
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"

# How long an invitation link works (days). Expired links: the secretariat resends.
KAIRAN_INVITATION_SECONDS = env_int("KAIRAN_INVITATION_DAYS", 14, minimum=1) * 24 * 60 * 60

# Anyone holding a secretariat role must have TOTP before anything else (off only in the demo).
KAIRAN_REQUIRE_MFA_FOR_SECRETARIAT = env_bool("KAIRAN_REQUIRE_MFA_FOR_SECRETARIAT", not DEMO)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Sessions and cookies -------------------------------------------------------------------
SESSION_COOKIE_AGE = env_int("KAIRAN_SESSION_IDLE_SECONDS", 60 * 60, minimum=60)
SESSION_SAVE_EVERY_REQUEST = True  # expiry counts from the last request: an idle timeout
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_COOKIES = env_bool("KAIRAN_SECURE_COOKIES", SITE_URL.startswith("https"))
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
LANGUAGE_COOKIE_SECURE = SECURE_COOKIES
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
SECURE_SSL_REDIRECT = env_bool("KAIRAN_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("KAIRAN_HSTS_SECONDS", 0)
# Whether HSTS also covers every subdomain, and whether the domain may go on the browsers'
# preload list, is the deployment's decision (a municipality's other hosts must all be
# HTTPS first; preloading is hard to undo): off unless set. Left unset, `check --deploy`
# keeps warning (security.W005/W021) until somebody decides; set to 0, the decision "no"
# is recorded and the warning silenced. See docs/security.md.
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("KAIRAN_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("KAIRAN_HSTS_PRELOAD", False)
if SECURE_HSTS_PRELOAD and not SECURE_HSTS_INCLUDE_SUBDOMAINS:
    raise ImproperlyConfigured(
        "KAIRAN_HSTS_PRELOAD needs KAIRAN_HSTS_INCLUDE_SUBDOMAINS=1 (the preload list requires it)"
    )
SILENCED_SYSTEM_CHECKS = [
    check
    for check, name in (("security.W005", "KAIRAN_HSTS_INCLUDE_SUBDOMAINS"),
                        ("security.W021", "KAIRAN_HSTS_PRELOAD"))
    if os.environ.get(name, "") != "" and not env_bool(name, False)
]  # fmt: skip
# Behind a TLS-terminating proxy that sets X-Forwarded-Proto and appends to X-Forwarded-For.
BEHIND_PROXY = env_bool("KAIRAN_BEHIND_PROXY", False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_PROXY else None
# How many proxies' X-Forwarded-For entries to trust for the client's IP (rate limits and
# the audit log); with none, every request would seem to come from the proxy.
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("KAIRAN_TRUSTED_PROXY_COUNT", 1 if BEHIND_PROXY else 0)
# The probes answer on plain http too: a container's health check calls its own port.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --- Content-Security-Policy (django-csp 4) --------------------------------------------------
# Everything is served from this host; no inline script or style anywhere (templates use
# static/css and, if ever needed, static JS files). data: images only for allauth's TOTP QR code.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    },
}

# --- Audit log (操作記録) ---------------------------------------------------------------------
# Entries older than this are deleted by the daily retention job, the only deletion path.
# At least 30 days, so that a typo cannot wipe the log. Default: five years.
KAIRAN_AUDIT_RETENTION_DAYS = env_int("KAIRAN_AUDIT_RETENTION_DAYS", 5 * 365, minimum=30)
# The secretariat reviews each committee's log (ログ確認) at least this often.
KAIRAN_AUDIT_REVIEW_INTERVAL_DAYS = env_int("KAIRAN_AUDIT_REVIEW_INTERVAL_DAYS", 30, minimum=1)

# --- Language and time ----------------------------------------------------------------------
LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", _("日本語")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Tokyo"
USE_TZ = True

# --- Static and uploaded files --------------------------------------------------------------
STATIC_URL = "/static/"
# A container image collects static files at build time, outside the data volume.
STATIC_ROOT = Path(env_str("KAIRAN_STATIC_ROOT", str(VAR_DIR / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = Path(env_str("KAIRAN_MEDIA_ROOT", str(VAR_DIR / "media")))
WHITENOISE_USE_FINDERS = DEBUG or TESTING or DEMO
KAIRAN_MAX_UPLOAD_BYTES = env_int("KAIRAN_MAX_UPLOAD_BYTES", 50 * 1024 * 1024, minimum=1024)
KAIRAN_MAX_MATERIALS = env_int("KAIRAN_MAX_MATERIALS", 20, minimum=1)
# A reply that reached the portal before the deadline counts, if it waited inside the server
# no longer than this; closing at the deadline waits as long (circulation/services/replies.py).
KAIRAN_REPLY_GRACE_SECONDS = env_int("KAIRAN_REPLY_GRACE_SECONDS", 10, minimum=0)
# Optional virus scan of every upload by clamd (circulation/uploads/virus.py): a Unix socket, or
# a host and port. Unset: no scan. Set: no file is accepted without clamd's "OK".
KAIRAN_CLAMD_SOCKET = env_str("CLAMD_SOCKET")
KAIRAN_CLAMD_HOST = env_str("CLAMD_HOST")
KAIRAN_CLAMD_PORT = env_int("CLAMD_PORT", 3310, minimum=1)
# Under gunicorn's worker timeout (30 s), which would otherwise end the request unanswered.
KAIRAN_CLAMD_TIMEOUT_SECONDS = env_int("CLAMD_TIMEOUT_SECONDS", 20, minimum=1)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Mail -----------------------------------------------------------------------------------
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Kairan <kairan@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
KAIRAN_REPLY_DOMAIN = env_str("KAIRAN_REPLY_DOMAIN", "reply.localhost")
# Replies by mail (docs/mail-replies.md): personal addresses are <localpart>+<token>@domain.
KAIRAN_REPLY_LOCALPART = env_str("KAIRAN_REPLY_LOCALPART", "reply")
if not KAIRAN_REPLY_LOCALPART.replace("-", "").replace(".", "").isalnum():
    raise ImproperlyConfigured("KAIRAN_REPLY_LOCALPART may hold only letters, digits, '-' and '.'")
# A link or reply address older than this stops working even if the deadline is later.
KAIRAN_TOKEN_MAX_AGE_DAYS = env_int("KAIRAN_TOKEN_MAX_AGE_DAYS", 400, minimum=1)
# Polling an IMAP mailbox instead of (or besides) an MTA pipe: `manage.py poll_imap`.
KAIRAN_IMAP_HOST = env_str("KAIRAN_IMAP_HOST")
KAIRAN_IMAP_SSL = env_bool("KAIRAN_IMAP_SSL", True)
KAIRAN_IMAP_PORT = env_int("KAIRAN_IMAP_PORT", 993 if KAIRAN_IMAP_SSL else 143, minimum=1)
KAIRAN_IMAP_USER = env_str("KAIRAN_IMAP_USER")
KAIRAN_IMAP_PASSWORD = env_str("KAIRAN_IMAP_PASSWORD")
KAIRAN_IMAP_FOLDER = env_str("KAIRAN_IMAP_FOLDER", "INBOX")
# Where stored messages are moved; empty: they stay in the folder, marked \Seen.
KAIRAN_IMAP_DONE_FOLDER = env_str("KAIRAN_IMAP_DONE_FOLDER")
KAIRAN_MAIL_DIR = VAR_DIR / "mail"
EMAIL_HOST = env_str("EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 587, minimum=1)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", EMAIL_PORT == 587)
    EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", EMAIL_PORT == 465)
    # Seconds of one wait for the relay (connect, each reply); it also sizes the outbox
    # lease below, so it bounds how long a stuck worker holds anyone's mail.
    EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20, minimum=1)
    if EMAIL_USE_TLS and EMAIL_USE_SSL:
        raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL cannot both be on")
else:
    if not (DEBUG or DEMO or TESTING):
        raise ImproperlyConfigured("EMAIL_HOST must be set in production (see docs/operations.md)")
    # Each message becomes one .eml file that a person can open; see /demo/mail/.
    EMAIL_BACKEND = "portal.mail_backends.EmlFileBackend"

# --- Celery ---------------------------------------------------------------------------------
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": 3600,
        # A Redis that is down or hangs must not hold a request: fail fast, the sweep re-queues.
        "socket_connect_timeout": 1.0,
        "socket_timeout": env_int("KAIRAN_REDIS_SOCKET_TIMEOUT", 5, minimum=1),
    }
else:
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_URL = "filesystem://localhost//"
    # kombu's filesystem transport with whole-file writes (see portal/broker.py).
    CELERY_BROKER_TRANSPORT = "portal.broker:Transport"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
        # kombu's default is ./control, relative to wherever the worker was started.
        "control_folder": str(_broker_dir / "control"),
    }
# Worker and beat keep the root logger's handler from LOGGING below (LOG_FORMAT, the ticks at
# DEBUG) instead of replacing it with Celery's own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env_bool("KAIRAN_CELERY_EAGER", False)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishing must never hold up a request when the broker is down: the sweep re-queues.
CELERY_BROKER_CONNECTION_TIMEOUT = 1.0
# The worker and beat reconnect for ever after Redis comes back (0 would make them give up);
# requests publish on their own connection that tries once (circulation/mail/outbox.py).
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_TASK_PUBLISH_RETRY = False
# Celery's Django fix-up closes every database connection before and after each task unless
# this is set; a new PostgreSQL connection per task cost more than sending the task's mail.
# portal/celery.py applies Django's own rule instead (CONN_MAX_AGE, broken connections).
CELERY_DB_REUSE_MAX = 1_000_000
KAIRAN_DUE_WORK_SECONDS = env_int("KAIRAN_DUE_WORK_SECONDS", 10, minimum=1)
# A close handed to a worker and still not done after this long (the broker lost the task) is
# handed again by the next tick (circulation/jobs/due.py).
KAIRAN_DUE_WORK_REQUEUE_SECONDS = env_int("KAIRAN_DUE_WORK_REQUEUE_SECONDS", 120, minimum=1)
# Mail engine (circulation/mail/delivery.py, docs/mail-engine.md).
# The sweep frees rows whose lease lapsed: with the lease, it bounds how long a dead worker
# holds mail (docs/mail-engine.md: within a minute of the kill with these defaults).
KAIRAN_SWEEP_SECONDS = env_int("KAIRAN_SWEEP_SECONDS", 10, minimum=1)
KAIRAN_MAIL_MAX_ATTEMPTS = env_int("KAIRAN_MAIL_MAX_ATTEMPTS", 10, minimum=1)
KAIRAN_MAIL_RETRY_BASE_SECONDS = env_int("KAIRAN_MAIL_RETRY_BASE_SECONDS", 60, minimum=1)
KAIRAN_MAIL_RETRY_CAP_SECONDS = env_int("KAIRAN_MAIL_RETRY_CAP_SECONDS", 3600, minimum=1)
# A worker's claim on its rows is a lease it renews while it sends (at least every 5 s, never
# during one SMTP wait): one wait for the relay plus 10 s, so a live worker hears its relay's
# answer or timeout before its lease lapses. Not a variable of its own: EMAIL_TIMEOUT sets it.
KAIRAN_MAIL_LEASE_SECONDS = (EMAIL_TIMEOUT if EMAIL_HOST else 20) + 10
if "KAIRAN_MAIL_SENDING_TIMEOUT_SECONDS" in os.environ:
    raise ImproperlyConfigured(
        "KAIRAN_MAIL_SENDING_TIMEOUT_SECONDS is gone: a worker's claim is now a lease of"
        " EMAIL_TIMEOUT + 10 s that it renews while it sends (docs/operations.md)"
    )
# A queued row older than this was lost by the broker (or Redis was down): the sweep enqueues it.
KAIRAN_MAIL_REQUEUE_AFTER_SECONDS = env_int("KAIRAN_MAIL_REQUEUE_AFTER_SECONDS", 60, minimum=1)
KAIRAN_BEAT_STALE_SECONDS = env_int("KAIRAN_BEAT_STALE_SECONDS", 300, minimum=1)
# /readyz fails when the oldest mail still waiting to be sent is older than this.
KAIRAN_READY_MAIL_QUEUE_SECONDS = env_int("KAIRAN_READY_MAIL_QUEUE_SECONDS", 900, minimum=60)
# Prometheus reads /ops/metrics with `Authorization: Bearer <token>` (portal/permissions.py);
# empty: only signed-in site staff read it.
KAIRAN_METRICS_TOKEN = env_str("KAIRAN_METRICS_TOKEN")
if KAIRAN_METRICS_TOKEN and len(KAIRAN_METRICS_TOKEN) < 32:
    raise ImproperlyConfigured("KAIRAN_METRICS_TOKEN must be at least 32 characters long")
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# --- Logging --------------------------------------------------------------------------------
LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    raise ImproperlyConfigured(
        f"LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, not {LOG_LEVEL!r}"
    )
# "json": one JSON object per line with the request id, user id, council id and outbox row id
# (portal/ops/logs.py); "plain": for people reading a terminal.
LOG_FORMAT = env_str("LOG_FORMAT", "plain").lower()
if LOG_FORMAT not in {"plain", "json"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be plain or json, not {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "portal.ops.logs.JsonFormatter"},
    },
    "filters": {"quiet_ticks": {"()": "portal.ops.logs.QuietTicks"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["quiet_ticks"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
}

_folders = [VAR_DIR, VAR_DIR / "cache", KAIRAN_MAIL_DIR, MEDIA_ROOT]
if not REDIS_URL:  # the filesystem broker lists its folders and fails when one is missing
    _folders += [
        Path(CELERY_BROKER_TRANSPORT_OPTIONS[key]) for key in ("data_folder_in", "control_folder")
    ]
if DEBUG or DEMO or TESTING:  # whitenoise warns about a missing static root
    _folders.append(STATIC_ROOT)
for _folder in _folders:
    _folder.mkdir(parents=True, exist_ok=True)
