"""socialmetrics settings: one file, read from the environment.

Every variable is documented in `.env.example`. Values come from the process environment, then
from `.env` at the project root. Relative paths are taken from the project root so that cron,
gunicorn and the shell agree whatever their working directory.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from socialmetrics.env import Env

BASE_DIR = Path(__file__).resolve().parent.parent
# SOCIALMETRICS_ENV_FILE names another file; set it empty to read none (the tests do).
_env_file = os.environ.get("SOCIALMETRICS_ENV_FILE", str(BASE_DIR / ".env"))
env = Env(Path(_env_file) if _env_file else None)

VAR_DIR = BASE_DIR / "var"
LOG_DIR = env.path("SENTIMENT_LOG_DIR", VAR_DIR / "log", base=BASE_DIR)

# --- Core -----------------------------------------------------------------------------------

DEBUG = env.bool("DJANGO_DEBUG", False)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. It is required when DJANGO_DEBUG is off: export it, "
            "or put it in .env (`make run` writes one with a generated key)."
        )
    # Only ever used with DEBUG on, on a developer's machine.
    SECRET_KEY = "django-insecure-development-only-key"  # noqa: S105

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

# --- HTTPS ----------------------------------------------------------------------------------
# TLS usually ends at a reverse proxy in front of gunicorn, which goes on answering plain HTTP
# on 127.0.0.1: redirecting and HSTS are therefore switched on by the environment, not here.
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", False)
# The header a proxy sets to say the client spoke HTTPS, e.g. X-Forwarded-Proto. Only behind a
# proxy that always sets it: a client could otherwise claim HTTPS itself.
_proxy_ssl_header = env.str("DJANGO_SECURE_PROXY_SSL_HEADER", "")
if _proxy_ssl_header:
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + _proxy_ssl_header.upper().replace("-", "_"), "https")
# Browsers send secure cookies over HTTPS only. Off in development, so that the admin works on
# http://127.0.0.1 (`make run`); DJANGO_SECURE_COOKIES=0 does the same for a server without TLS.
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", not DEBUG)

SILENCED_SYSTEM_CHECKS = []
if not SECURE_SSL_REDIRECT:
    # W008: the redirect to HTTPS belongs to the TLS proxy; DJANGO_SECURE_SSL_REDIRECT=1 turns
    # it on here too.
    SILENCED_SYSTEM_CHECKS.append("security.W008")
if not SECURE_HSTS_SECONDS:
    # W004: HSTS is a promise that the host name always has a valid certificate; it is made by
    # whoever runs the proxy, with DJANGO_SECURE_HSTS_SECONDS (or by the proxy itself).
    SILENCED_SYSTEM_CHECKS.append("security.W004")
elif not SECURE_HSTS_PRELOAD:
    # W021: preloading is a commitment to browsers' built-in lists, hard to take back: opt-in
    # with DJANGO_SECURE_HSTS_PRELOAD=1.
    SILENCED_SYSTEM_CHECKS.append("security.W021")
if SECURE_HSTS_SECONDS and not SECURE_HSTS_INCLUDE_SUBDOMAINS:
    # W005: other host names under the same domain may not all serve HTTPS; opt-in with
    # DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS=1.
    SILENCED_SYSTEM_CHECKS.append("security.W005")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # Before django_crontab: its `crontab` command is extended by sentiment's.
    "sentiment",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_crontab",
]

MIDDLEWARE = [
    "sentiment.monitoring.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
]

# The lean chain. Under gunicorn, socialmetrics/wsgi.py answers the paths matching
# API_FAST_PATHS with a second Django handler built with API_MIDDLEWARE instead of MIDDLEWARE
# (the test client and runserver use MIDDLEWARE for every path). These routes need none of the
# site's sessions, CSRF, auth or messages middleware: DRF authenticates API tokens itself and
# /metrics checks its caller itself. Those four cost about a quarter of Django's time for a
# one-tweet request (docs/benchmarks.md). CommonMiddleware stays: it checks the Host header
# against ALLOWED_HOSTS; the metrics middleware stays first in both chains, to time them whole.
API_MIDDLEWARE = [
    "sentiment.monitoring.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
]
API_FAST_PATHS = r"/(api/)?predict/?|/api/health|/api/model|/metrics"

ROOT_URLCONF = "socialmetrics.urls"
WSGI_APPLICATION = "socialmetrics.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------

DEFAULT_DATABASE_URL = f"sqlite:///{VAR_DIR / 'db.sqlite3'}"
DATABASE_URL = env.str("DATABASE_URL", DEFAULT_DATABASE_URL)
if DATABASE_URL == DEFAULT_DATABASE_URL:
    # The embedded default must work from a fresh clone, whatever command runs first.
    VAR_DIR.mkdir(exist_ok=True)
try:
    _db = dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
except ValueError as exc:
    raise ImproperlyConfigured(f"DATABASE_URL is not a database URL: {exc}") from None

if _db["ENGINE"] == "django.db.backends.mysql":
    # MySQL's "utf8" is 3 bytes per character and loses emoji: utf8mb4 everywhere, tests too.
    _db.setdefault("OPTIONS", {}).update(charset="utf8mb4")
    _db["TEST"] = {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"}
elif _db["ENGINE"] == "django.db.backends.sqlite3":
    # A file-backed test database, so that the servers and commands a test starts in a
    # subprocess see the same data (an in-memory one is private to the test process).
    _db["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}
    _db["OPTIONS"] = {
        # A writer (retrain, import) must not make the API fail with "database is locked".
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
    _db["CONN_MAX_AGE"] = 0
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth, i18n, static ---------------------------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("DJANGO_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# In development the admin's files are served straight from the apps, no collectstatic needed.
WHITENOISE_USE_FINDERS = DEBUG

# --- API ------------------------------------------------------------------------------------

# `open` (the default, as the old project was): anyone may call the API, and no request pays
# for an authentication lookup. `token`: predict and model need `Authorization: Token <key>`
# (tokens are made in the admin or with `manage.py api_token USER`); health and docs stay open.
API_AUTH = env.choice("API_AUTH", "open", ("open", "token"))
# Seconds a server process remembers a checked token, so that predict makes no database query;
# a revoked token keeps working for at most this long.
API_TOKEN_CACHE_SECONDS = env.float("API_TOKEN_CACHE_SECONDS", 60.0)

REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["sentiment.api.renderers.ORJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["sentiment.api.parsers.ORJSONParser"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "sentiment.api.negotiation.JSONFirstNegotiation",
    "DEFAULT_AUTHENTICATION_CLASSES": (
        ["sentiment.api.authentication.CachedTokenAuthentication"] if API_AUTH == "token" else []
    ),
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "EXCEPTION_HANDLER": "sentiment.api.errors.exception_handler",
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # How many proxies in front of the server append to X-Forwarded-For: the client address
    # that rate limits count is the one the outermost trusted proxy saw. 0 (the default) uses
    # the connection's address, which a client cannot forge.
    "NUM_PROXIES": env.int("API_NUM_PROXIES", 0),
}

# Rate limits on /api/predict in Django REST framework's form (`600/minute`), or `off`: per
# client address when the API is open, per token owner with API_AUTH=token. Off by default:
# the old project never limited its clients and they rely on it (a client scoring a data set
# one tweet per request would meet any limit). Production deployments set them; see
# docs/reliability.md for the values and their cost.
API_THROTTLE_ANON = env.rate("API_THROTTLE_ANON", "off")
API_THROTTLE_USER = env.rate("API_THROTTLE_USER", "off")

API_MAX_TWEETS = env.int("API_MAX_TWEETS", 1000, minimum=1)
API_MAX_TWEET_CHARS = env.int("API_MAX_TWEET_CHARS", 10_000, minimum=1)
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", 16 * 1024 * 1024, minimum=1024)
# Characters in all the tweets of one request. By default no tighter than the two limits above
# allow (the old project's clients may send any batch within them); lower it to bound how long
# one request can hold a worker (scoring takes seconds per million characters).
API_MAX_BATCH_CHARS = env.int(
    "API_MAX_BATCH_CHARS", API_MAX_TWEETS * API_MAX_TWEET_CHARS, minimum=1
)

# --- Metrics (Prometheus, at /metrics) ----------------------------------------------------

# Who may read /metrics: clients connecting from these addresses or networks, not through a
# proxy (a request with X-Forwarded-For or Forwarded is refused), or any client sending
# `Authorization: Bearer <METRICS_TOKEN>` when it is set. Empty list and no token: nobody.
METRICS_ALLOWED_IPS = env.networks("METRICS_ALLOWED_IPS", ["127.0.0.1", "::1"])
METRICS_TOKEN = env.str("METRICS_TOKEN", "")

# Drift of incoming tweets (sentiment/services/drift.py). Each server process writes what it
# counted every DRIFT_FLUSH_SECONDS (0: never, e.g. in tests); the live figures of the last
# DRIFT_WINDOW_MINUTES are compared with the version's held-out tweets, and a population
# stability index over DRIFT_PSI_THRESHOLD on at least DRIFT_MIN_TWEETS tweets is a drift.
DRIFT_FLUSH_SECONDS = env.float("DRIFT_FLUSH_SECONDS", 60.0)
DRIFT_WINDOW_MINUTES = env.float("DRIFT_WINDOW_MINUTES", 60.0, minimum=1.0)
DRIFT_PSI_THRESHOLD = env.float("DRIFT_PSI_THRESHOLD", 0.25)
DRIFT_MIN_TWEETS = env.int("DRIFT_MIN_TWEETS", 200, minimum=1)

# Shadow scoring (sentiment/services/shadow.py): the share of predict requests a version in
# shadow also scores (a reviewer may choose another when starting it), the requests each
# server process may hold waiting for it (more are left out, never waited for), and how often
# each process looks for a new shadow run and writes its counts (0: never, e.g. in tests).
SHADOW_SAMPLE_RATE = env.float("SHADOW_SAMPLE_RATE", 0.1)
SHADOW_QUEUE_SIZE = env.int("SHADOW_QUEUE_SIZE", 64, minimum=1)
SHADOW_POLL_SECONDS = env.float("SHADOW_POLL_SECONDS", 5.0)

# --- Cache (the rate limits' counters) ------------------------------------------------------

# Shared by every server process, so that a limit holds whatever worker answers. Redis when
# REDIS_URL (or CACHE_URL) is set: one round trip per counted request, atomic. Otherwise files
# under var/cache, shared by the processes of one host: no server to run, but four times slower
# (see sentiment/api/throttling.py). Never the database: predict must not query it.
CACHE_URL = env.str("CACHE_URL", "") or env.str("REDIS_URL", "")
if CACHE_URL:
    if not CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured(
            f"CACHE_URL/REDIS_URL={CACHE_URL!r} is not a Redis URL (redis://host:6379/0)"
        )
    CACHES: dict[str, dict[str, Any]] = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            # A Redis that hangs must not hold requests: the throttle lets them through.
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": env.path("DJANGO_CACHE_DIR", VAR_DIR / "cache", base=BASE_DIR),
        }
    }

# --- API documentation (drf-spectacular) ----------------------------------------------------

SPECTACULAR_SETTINGS = {
    "TITLE": "socialmetrics sentiment API",
    "DESCRIPTION": (
        "Scores tweets from -1 (very negative) to +1 (very positive). Every error is a JSON "
        'object `{"error": <code>, "detail": <message>}`.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from the drf-spectacular-sidecar package, served with the static files: the
    # docs work on a machine without internet access and load nothing from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No badge fetched from validator.swagger.io either.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "PREPROCESSING_HOOKS": ["sentiment.api.schema.public_endpoints"],
}

# Content-Security-Policy (django-csp) on every page: scripts only from this server, so an
# injected <script> or onclick= never runs. Styles also allow inline `style=` attributes, which
# the dashboard's bars and Swagger UI use; data: images are Swagger UI's icons.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- The model ------------------------------------------------------------------------------

SENTIMENT_MODEL_DIR = env.path("SENTIMENT_MODEL_DIR", VAR_DIR / "models", base=BASE_DIR)
# How often each server process looks for a newly activated model version (seconds);
# 0 looks on every request, which suits tests and single-process use.
SENTIMENT_RELOAD_SECONDS = env.float("SENTIMENT_RELOAD_SECONDS", 2.0)
# Share of the annotated tweets held out for evaluation, chosen by a hash of each text.
SENTIMENT_EVAL_FRACTION = env.float("SENTIMENT_EVAL_FRACTION", 0.2, minimum=0.05)
if SENTIMENT_EVAL_FRACTION > 0.5:
    raise ImproperlyConfigured("SENTIMENT_EVAL_FRACTION must be at most 0.5")
# Once evaluated and gated, the model is fitted again on every annotated tweet, held-out ones
# included, and that refit serves (docs/accuracy.md: it pays on small sets), up to this many
# tweets; 0 never refits. Past it the learning curve is flat and a second fit would double
# the time of a retrain.
SENTIMENT_REFIT_MAX_TWEETS = env.int("SENTIMENT_REFIT_MAX_TWEETS", 200_000)
# The quality gate: a new model is activated only if its macro-averaged recall on the held-out
# tweets is at most this much below the serving model's.
SENTIMENT_GATE_TOLERANCE = env.float("SENTIMENT_GATE_TOLERANCE", 0.01)
# A label with fewer annotated tweets than this is left out of training.
SENTIMENT_MIN_PER_LABEL = env.int("SENTIMENT_MIN_PER_LABEL", 5, minimum=2)

# --- Jobs (Celery) --------------------------------------------------------------------------

# Long work (retrain from the admin, activation and rescoring, scoring files) runs as jobs on
# Celery workers (`celery -A socialmetrics worker`; socialmetrics/celery.py reads every
# CELERY_* setting here). The broker: Redis or RabbitMQ in production
# (redis://127.0.0.1:6379/1, amqp://user:password@host:5672//). The default, `filesystem://`,
# needs no server: messages are files under JOBS_DIR/broker, shared by the web server and the
# worker that `make run` starts on the same host (one host only).
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", "filesystem://")
if not CELERY_BROKER_URL.startswith(
    ("redis://", "rediss://", "amqp://", "amqps://", "pyamqp://", "filesystem://")
):
    raise ImproperlyConfigured(
        f"CELERY_BROKER_URL={CELERY_BROKER_URL!r} is not a broker URL: use redis://host:6379/1, "
        "amqp://user:password@host:5672// or filesystem://"
    )
# Uploaded files, results and the filesystem broker's messages (shared by every worker host
# when several hosts run workers, like SENTIMENT_MODEL_DIR).
JOBS_DIR = env.path("JOBS_DIR", VAR_DIR / "jobs", base=BASE_DIR)
CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = str(JOBS_DIR / "broker")
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": _broker_dir,
        "data_folder_out": _broker_dir,
    }
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", "socialmetrics")
# The job's own row says how it went: no result backend.
CELERY_TASK_IGNORE_RESULT = True
# A message is acknowledged once its job has run; a worker killed mid-job leaves the job
# failed with the reason (services/jobs.py), never run twice behind the user's back.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = False
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# One job at a time per worker, run in a thread of the worker's main process: a job uses every
# core itself (scoring processes, the parallel fit), which a prefork pool's daemonic child
# could not start.
CELERY_WORKER_POOL = "threads"
CELERY_WORKER_CONCURRENCY = env.int("CELERY_WORKER_CONCURRENCY", 1, minimum=1)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Submitting waits this long for the broker before answering 503.
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", 3.0)
# Uploads and results are deleted this long after their job finished.
JOBS_KEEP_HOURS = env.float("JOBS_KEEP_HOURS", 24.0 * 7)
# The largest file POST /api/jobs and the admin accept.
JOBS_MAX_UPLOAD_BYTES = env.int("JOBS_MAX_UPLOAD_BYTES", 2 * 1024**3, minimum=1024)
# Processes that score a file (score_tweets and scoring jobs); default: one per core.
JOBS_SCORING_PROCESSES = env.int("JOBS_SCORING_PROCESSES", os.cpu_count() or 1, minimum=1)

# --- Schedule -------------------------------------------------------------------------------

RETRAIN_LOG = LOG_DIR / "retrain.log"
QUEUE_LOG = LOG_DIR / "queue.log"
CRONJOBS = [
    ("0 0 * * 0", "sentiment.cron.scheduled_retrain", f">> {shlex.quote(str(RETRAIN_LOG))} 2>&1"),
    # The annotation queue's order follows the labels (refits only after enough new ones).
    (
        "*/10 * * * *",
        "sentiment.cron.scheduled_queue_refresh",
        f">> {shlex.quote(str(QUEUE_LOG))} 2>&1",
    ),
]
CRONTAB_DJANGO_MANAGE_PATH = str(BASE_DIR / "manage.py")
CRONTAB_COMMENT = f"django-cronjobs for socialmetrics at {BASE_DIR}"


def _cron_prefix() -> str:
    """Environment for the scheduled job, which cron starts with an almost empty one.

    The job must train against the same database and model folder as the shell that ran
    `crontab add`; `.env` is read by the job itself, so only what came from the real
    environment (or a default) has to be written into the crontab line.
    """
    pinned = {"DATABASE_URL": DATABASE_URL, "SENTIMENT_MODEL_DIR": str(SENTIMENT_MODEL_DIR)}
    for name in ("DJANGO_SECRET_KEY", "DJANGO_DEBUG", "SENTIMENT_LOG_DIR", "DJANGO_TIME_ZONE"):
        if name in os.environ:
            pinned[name] = os.environ[name]
    assignments = " ".join(f"{k}={shlex.quote(v)}" for k, v in pinned.items())
    # cron turns an unescaped % into a newline.
    return f"mkdir -p {shlex.quote(str(LOG_DIR))} && {assignments}".replace("%", r"\%")


CRONTAB_COMMAND_PREFIX = _cron_prefix()

# --- Logging --------------------------------------------------------------------------------

LOG_LEVEL = env.str("DJANGO_LOG_LEVEL", "INFO").upper()
# `json`: one JSON object per line on stderr, for a log collector (the default in production);
# `plain`: lines for a person at a terminal (the default with DJANGO_DEBUG on).
LOG_FORMAT = env.choice("DJANGO_LOG_FORMAT", "plain" if DEBUG else "json", ("json", "plain"))
LOGGING_CONFIG = "socialmetrics.logformat.configure"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        "json": {"()": "socialmetrics.logformat.JsonFormatter"},
    },
    "handlers": {
        "stderr": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT},
    },
    "root": {"handlers": ["stderr"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": ["stderr"], "level": LOG_LEVEL, "propagate": False},
    },
}
