"""socialmetrics settings: one file, read from the environment.

Every variable is documented in `.env.example`. Values come from the process environment, then
from `.env` at the project root. Relative paths are taken from the project root so that cron,
gunicorn and the shell agree whatever their working directory.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path

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
    "django_crontab",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

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

REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["sentiment.api.rendering.ORJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["sentiment.api.rendering.ORJSONParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "EXCEPTION_HANDLER": "sentiment.api.errors.exception_handler",
    "UNAUTHENTICATED_USER": None,
}

API_MAX_TWEETS = env.int("API_MAX_TWEETS", 1000, minimum=1)
API_MAX_TWEET_CHARS = env.int("API_MAX_TWEET_CHARS", 10_000, minimum=1)
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", 16 * 1024 * 1024, minimum=1024)

# --- The model ------------------------------------------------------------------------------

SENTIMENT_MODEL_DIR = env.path("SENTIMENT_MODEL_DIR", VAR_DIR / "models", base=BASE_DIR)
# How often each server process looks for a newly activated model version (seconds);
# 0 looks on every request, which suits tests and single-process use.
SENTIMENT_RELOAD_SECONDS = env.float("SENTIMENT_RELOAD_SECONDS", 2.0)
# Share of the annotated tweets held out for evaluation, chosen by a hash of each text.
SENTIMENT_EVAL_FRACTION = env.float("SENTIMENT_EVAL_FRACTION", 0.2, minimum=0.05)
if SENTIMENT_EVAL_FRACTION > 0.5:
    raise ImproperlyConfigured("SENTIMENT_EVAL_FRACTION must be at most 0.5")
# The quality gate: a new model is activated only if its macro-averaged recall on the held-out
# tweets is at most this much below the serving model's.
SENTIMENT_GATE_TOLERANCE = env.float("SENTIMENT_GATE_TOLERANCE", 0.01)
# A label with fewer annotated tweets than this is left out of training.
SENTIMENT_MIN_PER_LABEL = env.int("SENTIMENT_MIN_PER_LABEL", 5, minimum=2)
# Seconds `retrain` may spend choosing the regularisation by cross-validation.
SENTIMENT_TRAIN_TIME_BUDGET = env.float("SENTIMENT_TRAIN_TIME_BUDGET", 90.0)

# --- Schedule -------------------------------------------------------------------------------

RETRAIN_LOG = LOG_DIR / "retrain.log"
CRONJOBS = [
    ("0 0 * * 0", "sentiment.cron.scheduled_retrain", f">> {shlex.quote(str(RETRAIN_LOG))} 2>&1"),
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
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    },
    "handlers": {
        "stderr": {"class": "logging.StreamHandler", "formatter": "plain"},
    },
    "root": {"handlers": ["stderr"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": ["stderr"], "level": LOG_LEVEL, "propagate": False},
    },
}
