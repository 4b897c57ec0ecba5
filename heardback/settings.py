"""Settings for Heardback, read from the environment.

One module on purpose: every knob an operator can turn is visible here, with its default.
`HEARDBACK_ENV` picks the defaults: `development` (the README's run command), `test`, or
`production` (safe by default, `manage.py check --deploy` clean).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as error:
        raise ValueError(f"{name} must be a whole number, got {raw!r}") from error


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


HEARDBACK_ENV = env_str("HEARDBACK_ENV", "development")
if HEARDBACK_ENV not in {"development", "test", "production"}:
    raise ValueError("HEARDBACK_ENV must be development, test or production")
IS_PRODUCTION = HEARDBACK_ENV == "production"

VAR_DIR = Path(env_str("HEARDBACK_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _development_secret_key() -> str:
    """A per-checkout random key, so nothing secret is ever committed."""
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = env_str("SECRET_KEY") or ("" if IS_PRODUCTION else _development_secret_key())
if IS_PRODUCTION and len(SECRET_KEY) < 50:
    raise ValueError("SECRET_KEY must be set to at least 50 random characters in production")

DEBUG = env_bool("DEBUG", HEARDBACK_ENV == "development")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if IS_PRODUCTION else "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "heardback.hiring",
    "heardback.messaging",
    "heardback.devmail",
    "heardback.promises",
    "heardback.portal",
    "heardback.console",
    "heardback.api",
    "heardback.seeker",
    "heardback.sim",
    "heardback.ops",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "heardback.urls"
WSGI_APPLICATION = "heardback.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "heardback" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------
# SQLite by default (WAL, a busy timeout, IMMEDIATE transactions so concurrent writers queue
# instead of failing); PostgreSQL for many processes on many machines via DATABASE_URL.
_default_sqlite = f"sqlite:///{VAR_DIR / 'heardback.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(env_str("DATABASE_URL", _default_sqlite))}
_db = DATABASES["default"]
if _db["ENGINE"] == "django.db.backends.sqlite3":
    _db["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file, not :memory:, so worker subprocesses in tests can share the test database.
    _suffix = env_str("TEST_DB_SUFFIX", "main") + env_str("PYTEST_XDIST_WORKER", "")
    _db["TEST"] = {"NAME": str(VAR_DIR / f"test-{_suffix}.sqlite3")}
else:
    _db.setdefault("CONN_MAX_AGE", env_int("DB_CONN_MAX_AGE", 60))
    _db["CONN_HEALTH_CHECKS"] = True
    if name := env_str("TEST_DATABASE_NAME"):
        _db["TEST"] = {"NAME": name}
DATABASE_VENDOR = "sqlite" if _db["ENGINE"].endswith("sqlite3") else "postgresql"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth ---------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/app/login/"

# --- Internationalisation -----------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("de", "Deutsch"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "heardback" / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files -------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise expects it even before collectstatic
STATICFILES_DIRS = [BASE_DIR / "heardback" / "static"]
MEDIA_ROOT = VAR_DIR / "media"

# --- Email --------------------------------------------------------------------------------
# HEARDBACK_EMAIL_URL: smtp://user:pass@host:port (add ?tls=1 or ?ssl=1), or anymail:<esp>
# to send through an email service with django-anymail (configure ANYMAIL_* as documented).
EMAIL_URL = env_str("HEARDBACK_EMAIL_URL", "" if IS_PRODUCTION else "smtp://127.0.0.1:1025")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Heardback <no-reply@heardback.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Django's own mail (password resets, invitations) goes through the outbox too.
MAILERS = {
    "default": {"BACKEND": "heardback.messaging.transports.django_backend.OutboxTransportBackend"}
}

# The delivery worker: batch size, lease, retry schedule, and the provider's rate limit.
DELIVERY_BATCH_SIZE = env_int("DELIVERY_BATCH_SIZE", 100)
DELIVERY_LEASE_SECONDS = env_int("DELIVERY_LEASE_SECONDS", 120)
DELIVERY_MAX_ATTEMPTS = env_int("DELIVERY_MAX_ATTEMPTS", 8)
DELIVERY_BACKOFF_BASE_SECONDS = env_int("DELIVERY_BACKOFF_BASE_SECONDS", 30)
DELIVERY_BACKOFF_CAP_SECONDS = env_int("DELIVERY_BACKOFF_CAP_SECONDS", 6 * 3600)
DELIVERY_RATE_PER_SECOND = env_int("DELIVERY_RATE_PER_SECOND", 0)  # 0: unlimited
DELIVERY_SMTP_TIMEOUT_SECONDS = env_int("DELIVERY_SMTP_TIMEOUT_SECONDS", 30)

# The local development mailbox (never in production).
DEVMAIL_ENABLED = not IS_PRODUCTION and env_bool("DEVMAIL_ENABLED", True)
DEVMAIL_MAILDIR = VAR_DIR / "mailbox"

# --- The no-ghost engine -----------------------------------------------------------------
# Issues a status-page link for an application (hiring reaches the portal through this).
HEARDBACK_STATUS_LINK_ISSUER = env_str(
    "HEARDBACK_STATUS_LINK_ISSUER", "heardback.portal.tokens.issue_status_url"
)
# The scheduler's steps, in order. Each is `def step(*, now: datetime, limit: int) -> int`
# returning how many items it handled, and must claim its work by compare-and-set.
SCHEDULER_STEPS: list[str] = [
    "heardback.console.bulk.run_bulk_actions",
    "heardback.portal.survey.send_survey_invitations",
    "heardback.seeker.digest.send_daily_digests",
    "heardback.seeker.refresh.refresh_employer_statuses",
]
SCHEDULER_INTERVAL_SECONDS = env_int("SCHEDULER_INTERVAL_SECONDS", 15)

# --- Security -----------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
from django.utils.csp import CSP  # noqa: E402

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.NONE],
}
if IS_PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # Preload-ready by default so `check --deploy` is clean; set to 0 before your first
    # HTTPS deployment if you are not ready to commit the domain to HTTPS for good.
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.server": {"level": "WARNING"}, "mail.log": {"level": "WARNING"}},
}
