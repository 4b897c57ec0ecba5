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
    "ninja",  # its bundled Swagger UI assets: the API docs work offline
    "heardback.web",
    "heardback.runtime",
    "heardback.hiring",
    "heardback.messaging",
    "heardback.devmail",
    "heardback.promises",
    "heardback.compliance",
    "heardback.portal",
    "heardback.console",
    "heardback.imports",
    "heardback.api",
    "heardback.bridges",
    "heardback.webhooks",
    "heardback.seeker",
    "heardback.postings",
    "heardback.privacy",
    "heardback.sim",
    "heardback.ops",
]

MIDDLEWARE = [
    # First, so nothing reads a body or answers a method before the guard has looked at it.
    "heardback.web.middleware.RequestGuardMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "heardback.api.strict_query.StrictQueryMiddleware",
    "heardback.api.idempotency.IdempotencyMiddleware",
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
                "heardback.console.problems.banner",
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
    # Kept open between requests, as on PostgreSQL: opening a connection and running the
    # PRAGMAs above cost more than a status page's three queries. Safe: gunicorn's sync
    # workers serve one request at a time on one thread, Django connections are per thread,
    # and under WAL an idle connection holds no lock between transactions.
    _db["CONN_MAX_AGE"] = env_int("DB_CONN_MAX_AGE", 60)
    _db["CONN_HEALTH_CHECKS"] = True
    # A file, not :memory:, so worker subprocesses in tests can share the test database;
    # named per test run, so two runs on one machine never touch each other's database.
    _suffix = env_str("TEST_DB_SUFFIX", "") or f"run{os.getpid()}"
    _db["TEST"] = {"NAME": str(VAR_DIR / f"test-{_suffix}.sqlite3")}
else:
    # dj_database_url already sets CONN_MAX_AGE to 0, so a setdefault would never apply.
    _db["CONN_MAX_AGE"] = env_int("DB_CONN_MAX_AGE", 60)
    _db["CONN_HEALTH_CHECKS"] = True
    _db["TEST"] = {"NAME": env_str("TEST_DATABASE_NAME", "") or f"test_{_db['NAME']}_{os.getpid()}"}
DATABASE_VENDOR = "sqlite" if _db["ENGINE"].endswith("sqlite3") else "postgresql"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The status page's fixed queries are prepared on the PostgreSQL server once per session
# (heardback.portal.prepared); 0 behind a pooler in transaction mode.
DATABASE_PREPARED_STATEMENTS = env_bool("DATABASE_PREPARED_STATEMENTS", True)

# --- Cache ------------------------------------------------------------------------------
# Rate limits, sign-in throttles and the API throttle count in the default cache, which every
# web process must share: the database by default (its table comes with `migrate`), Redis
# with CACHE_URL (or REDIS_URL) = redis://host:6379/0 (needs the `redis` package installed).
# "local" is a per-process memory cache for what may be a few seconds stale in another
# process (the status page's micro-cache): reading it costs no query.
CACHE_URL = env_str("CACHE_URL") or env_str("REDIS_URL")
if not CACHE_URL or CACHE_URL in {"db", "database"}:
    _default_cache: dict[str, object] = {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "heardback_cache",
        # Django counts the table on every write and culls past this; counters live in their
        # own table (heardback.web.limits), so this holds only what is truly cached.
        "OPTIONS": {"MAX_ENTRIES": env_int("CACHE_MAX_ENTRIES", 50_000)},
    }
elif CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    _default_cache = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": CACHE_URL,
    }
else:
    raise ValueError("CACHE_URL must be redis://…, rediss://…, unix://… or db (the default)")
CACHES = {
    "default": _default_cache,
    "local": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "heardback-local",
        "OPTIONS": {"MAX_ENTRIES": env_int("LOCAL_CACHE_MAX_ENTRIES", 2_000)},
    },
}

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
LANGUAGES = [("en", "English"), ("de", "Deutsch"), ("es", "Español"), ("fr", "Français")]
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
# The public report card shows a figure only when it can't mislead (docs/portal.md): enough
# finished applications, promises whose date has come, and decisions about people, over a
# record at least this many days long.
REPORT_CARD_MIN_FINISHED = env_int("REPORT_CARD_MIN_FINISHED", 10)
REPORT_CARD_MIN_PROMISES_DUE = env_int("REPORT_CARD_MIN_PROMISES_DUE", 10)
REPORT_CARD_MIN_DECISIONS = env_int("REPORT_CARD_MIN_DECISIONS", 10)
REPORT_CARD_MIN_DAYS = env_int("REPORT_CARD_MIN_DAYS", 28)

# A hire's "Welcome aboard" is held this long by default, cancellable until it goes
# (0: the console offers no hold). See docs/console.md, "Hire with care".
HIRE_HOLD_MINUTES = env_int("HIRE_HOLD_MINUTES", 60)

DELIVERY_BATCH_SIZE = env_int("DELIVERY_BATCH_SIZE", 100)
# Short, because a live worker renews it while it sends: a killed worker's batch is retried
# within seconds.
DELIVERY_LEASE_SECONDS = env_int("DELIVERY_LEASE_SECONDS", 30)
DELIVERY_MAX_ATTEMPTS = env_int("DELIVERY_MAX_ATTEMPTS", 8)
DELIVERY_BACKOFF_BASE_SECONDS = env_int("DELIVERY_BACKOFF_BASE_SECONDS", 30)
DELIVERY_BACKOFF_CAP_SECONDS = env_int("DELIVERY_BACKOFF_CAP_SECONDS", 6 * 3600)
DELIVERY_RATE_PER_SECOND = env_int("DELIVERY_RATE_PER_SECOND", 0)  # 0: unlimited
DELIVERY_SMTP_TIMEOUT_SECONDS = env_int("DELIVERY_SMTP_TIMEOUT_SECONDS", 30)  # the verdict
DELIVERY_SMTP_COMMAND_TIMEOUT_SECONDS = env_int("DELIVERY_SMTP_COMMAND_TIMEOUT_SECONDS", 10)

# The local development mailbox (never in production).
DEVMAIL_ENABLED = not IS_PRODUCTION and env_bool("DEVMAIL_ENABLED", True)
DEVMAIL_MAILDIR = VAR_DIR / "mailbox"

# --- The no-ghost engine -----------------------------------------------------------------
# Each app registers its own scheduler steps in its AppConfig.ready() (heardback.runtime).
SCHEDULER_INTERVAL_SECONDS = env_int("SCHEDULER_INTERVAL_SECONDS", 15)
# Seconds one step may spend in one round before it leaves the rest for the next round.
SCHEDULER_STEP_BUDGET_SECONDS = env_int("SCHEDULER_STEP_BUDGET_SECONDS", 20)
# A close-out works in chunks of its own size, not the other steps' per-round limit: each
# chunk is one transaction (bigger chunks write faster per candidate, smaller ones hold
# fewer rows locked at once), and a round goes on chunk after chunk for up to
# CLOSEOUT_ROUND_SECONDS before the other steps get their turn.
CLOSEOUT_CHUNK_SIZE = env_int("CLOSEOUT_CHUNK_SIZE", 5000)
CLOSEOUT_ROUND_SECONDS = env_int("CLOSEOUT_ROUND_SECONDS", 10)
# The network loop (`heardback netloop`) runs the steps that call other servers, so a slow
# server never holds the engine. A fetch's deadline covers the whole fetch, not each read.
NETWORK_LOOP_INTERVAL_SECONDS = env_int("NETWORK_LOOP_INTERVAL_SECONDS", 30)
NETWORK_FETCH_DEADLINE_SECONDS = env_int("NETWORK_FETCH_DEADLINE_SECONDS", 5)
NETWORK_CONCURRENCY = env_int("NETWORK_CONCURRENCY", 4)  # fetches in flight per step
# A round's time per network step: no new fetch starts after it (those in flight finish).
NETWORK_STEP_BUDGET_SECONDS = env_int("NETWORK_STEP_BUDGET_SECONDS", 60)

# --- The candidate portal -----------------------------------------------------------------
# How long a process reuses a status page it rendered and a token it checked (0: never).
PORTAL_STATUS_CACHE_SECONDS = env_int("PORTAL_STATUS_CACHE_SECONDS", 5)
# "Email me my status link again": per email address (whoever asks) and per client address.
APPLY_LINK_RATE_PER_EMAIL = env_str("APPLY_LINK_RATE_PER_EMAIL", "3/h")
# Apply form POSTs per client address: generous, since many candidates can share one
# address (a library, a school, a mobile carrier); a refused POST keeps what was typed.
APPLY_RATE_PER_ADDRESS = env_str("APPLY_RATE_PER_ADDRESS", "30/10m")
# Outbound HTTP (status links, webhooks, bridges) to private addresses and other ports:
# never in production; in tests by default (their fake servers are on loopback).
OUTBOUND_HTTP_ALLOW_PRIVATE = not IS_PRODUCTION and env_bool(
    "OUTBOUND_HTTP_ALLOW_PRIVATE", HEARDBACK_ENV == "test"
)
APPLY_LINK_RATE_PER_ADDRESS = env_str("APPLY_LINK_RATE_PER_ADDRESS", "20/h")

# --- Accounts (console and seeker side) ----------------------------------------------------
# Password-reset emails: per email address (whoever asks) and per client address.
PASSWORD_RESET_RATE_PER_EMAIL = env_str("PASSWORD_RESET_RATE_PER_EMAIL", "3/h")
PASSWORD_RESET_RATE_PER_ADDRESS = env_str("PASSWORD_RESET_RATE_PER_ADDRESS", "10/h")
# Job-seeker sign-ups per client address, and address-confirmation emails per address.
SEEKER_SIGNUP_RATE_PER_ADDRESS = env_str("SEEKER_SIGNUP_RATE_PER_ADDRESS", "10/h")
SEEKER_CONFIRM_RATE_PER_EMAIL = env_str("SEEKER_CONFIRM_RATE_PER_EMAIL", "3/d")
# Mail to job seekers (the digest, address confirmations) comes from an address of its own,
# so a seeker's unsubscribe or spam report never touches the employer-side mail's reputation.
SEEKER_FROM_EMAIL = env_str(
    "SEEKER_FROM_EMAIL", "Heardback for job seekers <seekers@heardback.localhost>"
)
# A seeker's mail upload (.eml or .mbox), read as a stream.
SEEKER_MAIL_IMPORT_MAX_BYTES = env_int("SEEKER_MAIL_IMPORT_MAX_BYTES", 200 * 1024 * 1024)
# How often the network loop reads a connected mailbox (IMAP), and the most it reads a round.
SEEKER_IMAP_EVERY_MINUTES = env_int("SEEKER_IMAP_EVERY_MINUTES", 15)
SEEKER_IMAP_MAX_MESSAGES = env_int("SEEKER_IMAP_MAX_MESSAGES", 500)

# --- The API ------------------------------------------------------------------------------
# Requests per API key (counted in the shared cache): "600/m", "20/s", "10000/h".
API_RATE_PER_KEY = env_str("API_RATE_PER_KEY", "600/m")

# --- Outbound webhooks (heardback.webhooks; both steps run in the network loop) ---------
# Each POST's overall deadline; endpoints served at once (each over one kept-alive
# connection, up to a batch of deliveries per turn).
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 10)
WEBHOOK_CONCURRENCY = env_int("WEBHOOK_CONCURRENCY", 4)
WEBHOOK_BATCH_SIZE = env_int("WEBHOOK_BATCH_SIZE", 200)
# Seconds to wait after each failed attempt (about a day in all), then give up.
WEBHOOK_RETRY_SCHEDULE_SECONDS = [
    int(s) for s in env_list("WEBHOOK_RETRY_SCHEDULE_SECONDS", "5,300,1800,7200,18000,36000,36000")
]
# An endpoint that has failed without a single success for this long is disabled.
WEBHOOK_DISABLE_AFTER_DAYS = env_int("WEBHOOK_DISABLE_AFTER_DAYS", 3)
# How long the fan-out looks again for a row skipped because its transaction had not
# committed yet, and how many rows of each source it reads per round.
WEBHOOK_LATE_COMMIT_MINUTES = env_int("WEBHOOK_LATE_COMMIT_MINUTES", 10)
WEBHOOK_FANOUT_BATCH = env_int("WEBHOOK_FANOUT_BATCH", 1000)

# --- Bridges to an ATS ---------------------------------------------------------------------
# Fernet keys for connection secrets, newest first (comma-separated); empty: derived from
# SECRET_KEY (development). Rotate by putting a new key first and re-encrypting.
BRIDGE_ENCRYPTION_KEYS = env_list("BRIDGE_ENCRYPTION_KEYS", "")
BRIDGE_MAX_BODY_BYTES = env_int("BRIDGE_MAX_BODY_BYTES", 1_000_000)
# Days an ATS delivery's body (names, addresses) is kept once it has been dealt with.
BRIDGE_EVENT_BODY_DAYS = env_int("BRIDGE_EVENT_BODY_DAYS", 30)
# Deliveries refused for a bad signature are listed on the connection page; this many per
# connection are recorded (anyone can post to the URL), the rest only answered 401.
BRIDGE_REFUSED_RECORD_RATE = env_str("BRIDGE_REFUSED_RECORD_RATE", "100/h")

# --- Requests: clients, methods, bodies ---------------------------------------------------
# The proxies in front of the web processes (CIDRs, comma-separated). Their X-Forwarded-For
# names the client every limit counts by (heardback.web.client); any other peer's header is
# ignored. Empty: REMOTE_ADDR is the client. Behind a proxy on the same machine: 127.0.0.1/32.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", "")
# Bodies are refused by Content-Length before they are read (heardback.web.middleware):
# the first matching path pattern gives the limit, REQUEST_BODY_MAX_BYTES everywhere else.
REQUEST_BODY_MAX_BYTES = env_int("REQUEST_BODY_MAX_BYTES", 1024 * 1024)
REQUEST_BODY_LIMITS = [
    # The apply form: a CV of up to 5 MB and the form around it. A CV up to 20 MB is still
    # read (past, never stored) so the form comes back with what was typed
    # (portal.views.MAX_APPLY_BODY); only bigger bodies are refused unread.
    (r"^/jobs/[^/]+/[^/]+/$", 4 * 5 * 1024 * 1024 + 256 * 1024),
    # CSV imports: an employer's file of up to 50 MB, a job seeker's of up to 2 MB.
    (r"^/app/import/$", 50 * 1024 * 1024 + 256 * 1024),
    (r"^/seeker/import/$", 2 * 1024 * 1024 + 256 * 1024),
    (r"^/seeker/mail/import/$", SEEKER_MAIL_IMPORT_MAX_BYTES + 256 * 1024),
    # ATS deliveries: the bridges' own setting, so one number governs them.
    (r"^/hooks/", BRIDGE_MAX_BODY_BYTES),
]
# Form fields and JSON bodies are read into memory up to this; uploaded files bigger than
# FILE_UPLOAD_MAX_MEMORY_SIZE go to a temporary file instead.
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
# Only these paths take PUT, PATCH and DELETE; their refusals are problem documents.
REQUEST_GUARD_API_PATHS = ["/api/"]
REQUEST_GUARD_PROBLEM_RENDERER = "heardback.api.problems.problem"

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
    # Secrets in URLs (status, decision, invitation, reset, calendar and confirmation links)
    # are blanked out of every line this handler writes (heardback.web.logs).
    "filters": {"redact_secrets": {"()": "heardback.web.logs.RedactSecrets"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_secrets"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.server": {"level": "WARNING"}, "mail.log": {"level": "WARNING"}},
}
