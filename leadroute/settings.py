"""LeadRoute settings: one module, every deployment difference comes from the environment."""

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

from leadroute import local_services

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A local `.env` (written by the first `make`: DEBUG on and a generated SECRET_KEY, never
# committed) so that `make run`, `make manage` and `python manage.py` share one setup. The
# environment wins over it.
environ.Env.read_env(BASE_DIR / ".env")
# Without the variables: the embedded servers a `make run` on this checkout is serving.
_both_set = env.str("DATABASE_URL", "") and env.str("REDIS_URL", "")
_local = {} if _both_set else local_services.running_urls()

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "insecure-dev-only-key-never-used-with-debug-off"

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "channels",
    "ninja",  # /api/docs from its own static files, not a CDN (offline machines, CSP)
    "accounts",
    "pools",
    "routing",
    "reports",
    "axes",  # last: its checks look at the other apps' auth settings
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.reader_time_zone",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "leadroute.page_freshness.page_freshness",
    # Last, as django-axes asks: turns a locked-out login into its lockout page.
    "axes.middleware.AxesMiddleware",
]

# Login throttling (django-axes): the app's login and the admin's share the backend.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
# A name from one address: behind a proxy every visitor shares its address, and an
# address alone would lock the whole office out after five typos.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False  # lockouts are still logged; not every sign-in's counter reset

ROOT_URLCONF = "leadroute.urls"
ASGI_APPLICATION = "leadroute.asgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

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
                "accounts.context_processors.roles",
                "routing.escalation.context.notification_bell",
            ],
            # live_remove: every template may take an element out of the page, live.
            "builtins": ["template_partials.templatetags.partials", "leadroute.shared.live_tags"],
        },
    },
]

# --- Database -------------------------------------------------------------------------
# PostgreSQL only, everywhere. Without DATABASE_URL, the embedded server that `make run`,
# `make test` or `make manage` started (leadroute.local_services).
_DATABASE_URL = env.str("DATABASE_URL", default="") or _local.get("DATABASE_URL", "")
if not _DATABASE_URL:
    raise ImproperlyConfigured(
        "DATABASE_URL is unset and no embedded PostgreSQL is running: run commands through"
        ' `make manage ARGS="…"` (or while `make run` is up), or set DATABASE_URL.'
    )
DATABASES = {"default": env.db_url_config(_DATABASE_URL)}
if DB_POOL_MAX_SIZE := env.int("DB_POOL_MAX_SIZE", default=0):
    # Under ASGI each request runs in a fresh thread: without a pool every request opens a
    # new PostgreSQL backend. The pool keeps the connections, so CONN_MAX_AGE stays 0.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "pool": {"min_size": min(4, DB_POOL_MAX_SIZE), "max_size": DB_POOL_MAX_SIZE, "timeout": 10},
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache, channel layer, Celery broker ----------------------------------------
REDIS_URL = env.str("REDIS_URL", default="") or _local.get("REDIS_URL", "")
if not REDIS_URL:
    raise ImproperlyConfigured(
        "REDIS_URL is unset and no embedded Valkey is running: run commands through"
        ' `make manage ARGS="…"` (or while `make run` is up), or set REDIS_URL.'
    )
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="leadroute"),
    }
}
# Redis Pub/Sub: a group message is one PUBLISH, whatever the number of reps watching
# (the list-based layer wrote a copy into every member's queue, on every claim), and
# live frames are only for sockets open right now anyway. Pub/Sub channels ignore the
# Redis database number, so the default prefix carries it: deployments (and test runs)
# sharing one Redis server on different databases do not hear each other.
_REDIS_DB = urlsplit(REDIS_URL).path.strip("/") or "0"
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {
            "hosts": [REDIS_URL],
            "prefix": env.str("CHANNEL_PREFIX", default=f"lr{_REDIS_DB}"),
        },
    }
}

CELERY_BROKER_URL = REDIS_URL
# No result backend: tasks report through the database (job rows, heartbeats), and a
# backend would be built in every web thread that enqueues a task.
CELERY_TASK_IGNORE_RESULT = True
# A task is acknowledged only after it ran, so a worker dying mid-task hands it to another
# worker; every task is therefore written to be safe to run twice.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
SWEEP_INTERVAL_SECONDS = env.int("SWEEP_INTERVAL_SECONDS", default=30)
# A lead waiting for intake this long has lost its drain; the sweep publishes another.
INTAKE_SWEEP_GRACE_SECONDS = env.int("INTAKE_SWEEP_GRACE_SECONDS", default=30)
# A replay (routing.simulator.runs) silent this long while "running" lost its worker: the
# sweep marks it failed.
SIMULATOR_STALE_MINUTES = env.int("SIMULATOR_STALE_MINUTES", default=10)
# E-mail (escalation's reminders and alerts): EMAIL_URL as django-environ reads it, e.g.
# smtp+tls://user:password@smtp.example.com:587; the console unless set (`make run`).
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))  # sets EMAIL_BACKEND, HOST…
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="LeadRoute <leadroute@localhost>")
# Leads the escalation sweep takes per transaction (FOR UPDATE SKIP LOCKED).
ESCALATION_BATCH = env.int("ESCALATION_BATCH", default=500)
CELERY_BEAT_SCHEDULE = {
    "escalation": {
        "task": "routing.tasks.escalation_sweep",
        "schedule": timedelta(seconds=SWEEP_INTERVAL_SECONDS),
    },
    "sweep": {
        "task": "routing.tasks.sweep",
        "schedule": timedelta(seconds=SWEEP_INTERVAL_SECONDS),
    },
    "imports": {
        "task": "pools.tasks.import_sweep",
        "schedule": timedelta(seconds=SWEEP_INTERVAL_SECONDS),
    },
    # Outbound webhooks: retries that came due, and whatever a lost kick or a dead worker
    # left (routing.webhooks.send); the delivery log's prune.
    "webhooks": {
        "task": "routing.tasks.webhooks_drain",
        "schedule": timedelta(seconds=SWEEP_INTERVAL_SECONDS),
    },
    "webhooks-prune": {
        "task": "routing.tasks.webhooks_prune",
        "schedule": timedelta(hours=1),
    },
}
# Outbound webhooks (routing.webhooks): the POST's timeout; retries with exponential backoff
# from BASE up to MAX seconds apart, for RETRY_HOURS; a subscription failing this many times
# in a row is paused (its managers are told); the log keeps finished deliveries LOG_DAYS.
WEBHOOK_TIMEOUT_SECONDS = env.int("WEBHOOK_TIMEOUT_SECONDS", default=5)
WEBHOOK_RETRY_BASE_SECONDS = env.float("WEBHOOK_RETRY_BASE_SECONDS", default=10)
WEBHOOK_RETRY_MAX_SECONDS = env.float("WEBHOOK_RETRY_MAX_SECONDS", default=3600)
WEBHOOK_RETRY_HOURS = env.float("WEBHOOK_RETRY_HOURS", default=24)
WEBHOOK_FAILURES_BEFORE_PAUSE = env.int("WEBHOOK_FAILURES_BEFORE_PAUSE", default=100)
WEBHOOK_LOG_DAYS = env.int("WEBHOOK_LOG_DAYS", default=30)
# Deliveries a drain takes per batch, POSTs at once, and how long one drain task runs
# before it hands over to a successor.
WEBHOOK_BATCH = env.int("WEBHOOK_BATCH", default=100)
WEBHOOK_SEND_THREADS = env.int("WEBHOOK_SEND_THREADS", default=8)
WEBHOOK_DRAIN_SECONDS = env.float("WEBHOOK_DRAIN_SECONDS", default=25)

# --- Auth, sessions, security ------------------------------------------------------------
# The test suite sets a fast hasher through the environment (pytest-env), so the browser
# tests' server process verifies the same hashes; production keeps Django's defaults.
PASSWORD_HASHERS = env.list(
    "PASSWORD_HASHERS",
    default=[
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
        "django.contrib.auth.hashers.ScryptPasswordHasher",
    ],
)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# HTTPS by default once DEBUG is off (`manage.py check --deploy` is clean then); each can
# be turned off by its variable, e.g. for a trial on plain HTTP.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# A load balancer's health probe speaks plain HTTP to the app; a redirect is not an answer.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
# Behind a proxy that terminates TLS: trust its X-Forwarded-Proto, so the request counts as
# HTTPS (no redirect loop) and absolute links (the web form's embed snippet) are https.
if env.bool("BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# The largest request body read into memory (JSON API posts, form fields; an uploaded
# CSV's file part does not count): a bigger one is refused with 400.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("REQUEST_BODY_MAX_BYTES", default=1024 * 1024)

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns at every start otherwise
STATICFILES_DIRS = [BASE_DIR / "static"]
# Compressed, hashed files need `collectstatic`; dev, tests and the browser-test server
# serve straight from the source folders instead.
STATIC_MANIFEST = env.bool("STATIC_MANIFEST", default=not DEBUG)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if STATIC_MANIFEST
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not STATIC_MANIFEST
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / ".run" / "media")))

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

DEMO_PASSWORD = env.str("DEMO_PASSWORD", default="leadroute-demo")

# --- Capture, screening, routing ----------------------------------------------------------
# Threads serving /api/ per web process (leadroute/asgi_sync.py): requests beyond this wait
# on the event loop. Keep it at or under DB_POOL_MAX_SIZE.
API_THREADS = env.int("API_THREADS", default=8)
API_RATE_LIMIT_PER_MINUTE = env.int("API_RATE_LIMIT_PER_MINUTE", default=600)
DEDUPE_WINDOW_DAYS = env.int("DEDUPE_WINDOW_DAYS", default=30)
# The clock that arrival-time conditions read and that starts a cap's day/week/month.
ROUTING_TIME_ZONE = env.str("ROUTING_TIME_ZONE", default="") or TIME_ZONE
SHARED_DATA_DIR = Path(env.str("SHARED_DATA_DIR", default=str(BASE_DIR.parent / "shared" / "data")))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # django-axes says INFO about every sign-in; its lockouts are warnings and still show.
    "loggers": {"axes": {"level": "WARNING"}},
}
