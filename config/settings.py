"""Chirp settings: every value comes from the environment (see .env.example).

With nothing set, Chirp runs embedded: SQLite, a local-memory cache, an in-memory channel
layer and Celery executing tasks eagerly in-process. With DATABASE_URL and REDIS_URL set,
the same code runs on PostgreSQL and Redis with real Celery workers.
"""

import importlib.util
import sys
from datetime import timedelta
from pathlib import Path

import environ
from corsheaders.defaults import default_headers as cors_default_headers
from django.core.exceptions import ImproperlyConfigured
from redis.asyncio.retry import Retry as AsyncRedisRetry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.retry import Retry as RedisRetry

from config import local_secrets
from config.redis_urls import redis_db_number, redis_url_with_db

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A `.env` file is optional: read_env would log ".env not found" on every start without one.
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# Development default, so `manage.py` works on a fresh checkout. Deployments turn it off:
# the Docker image sets DJANGO_DEBUG=false, and with it off the checks below refuse to start
# without secrets of their own or allowed hosts.
DEBUG = env.bool("DJANGO_DEBUG", default=True)

# Secrets (docs/reliability.md trap 15: a secret in a public repository is everyone's key).
# With DEBUG on and a key unset, each checkout gets random keys of its own, written on first
# start to a git-ignored file that every process of the checkout reads (make run, manage.py,
# Celery, tests). With DEBUG off the file is neither written nor read: both keys must be set.
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
# Its own key, so that one rotates without the other and a leak of one is not a leak of both.
JWT_SIGNING_KEY = env.str("JWT_SIGNING_KEY", default="")
if DEBUG and not (SECRET_KEY and JWT_SIGNING_KEY):
    _dev_secrets = local_secrets.load_or_create(
        Path(env.str("DEV_SECRETS_FILE", default=str(BASE_DIR / ".dev-secrets.env")))
    )
    SECRET_KEY = SECRET_KEY or _dev_secrets["DJANGO_SECRET_KEY"]
    JWT_SIGNING_KEY = JWT_SIGNING_KEY or _dev_secrets["JWT_SIGNING_KEY"]
# Defaults this repository once published: whoever read them can sign with them, so they
# are refused everywhere, DEBUG on or off (an old .env may still carry one).
PUBLISHED_SECRETS = frozenset(
    {
        "dev-insecure-secret-key-change-me-0123456789abcdef",
        "collectstatic-build-only-not-a-secret-0123456789abcdefghijklmnop",
    }
)
if PUBLISHED_SECRETS & {SECRET_KEY, JWT_SIGNING_KEY}:
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY or JWT_SIGNING_KEY is a value published in Chirp's repository; "
        "remove it (development generates its own) or set a random one."
    )

ALLOWED_HOSTS = env.list(
    "DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

if not DEBUG:
    # Production must be configured on purpose: refuse to start on dev defaults.
    if len(SECRET_KEY) < 50:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set to a random value of at least 50 characters "
            "when DJANGO_DEBUG is off."
        )
    if not JWT_SIGNING_KEY:
        raise ImproperlyConfigured(
            "JWT_SIGNING_KEY must be set to its own random value when DJANGO_DEBUG is off."
        )
    if JWT_SIGNING_KEY == SECRET_KEY:
        raise ImproperlyConfigured(
            "JWT_SIGNING_KEY must differ from DJANGO_SECRET_KEY when DJANGO_DEBUG is off."
        )
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must be set when DJANGO_DEBUG is off.")
if len(JWT_SIGNING_KEY.encode()) < 32:
    raise ImproperlyConfigured("JWT_SIGNING_KEY must be at least 32 bytes.")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "core",
    "accounts",
    "safety",
    "tweets",
    "friendships",
    "newsfeeds",
    "facebook_connect",
    "notifications",
    "messaging",
    "lifecycle",
    "moderation",
    "demo",
    "oauth2_provider",
    "mastodon_api",
]
# The fake Graph server's `facebook_fake_server` command, for local demos. The package is
# development-only and the Docker image leaves it out (.dockerignore), so it is installed
# only with DEBUG on and only where it exists.
if DEBUG and importlib.util.find_spec("fakegraph") is not None:
    INSTALLED_APPS.append("fakegraph")

MIDDLEWARE = [
    "core.middleware.JsonErrorPagesMiddleware",
    "core.middleware.ServiceUnavailableMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "core.middleware.RequestSizeLimitMiddleware",
    "core.middleware.NullCharacterMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # MASTODON_HOST's requests are routed by the Mastodon layer's URLs (docs/mastodon.md).
    "mastodon_api.middleware.MastodonHostMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
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

# --- Database --------------------------------------------------------------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
# PostgreSQL connections are bounded per process, whatever the load (docs/scaling.md):
# - WSGI workers (gunicorn) and Celery keep one persistent connection per thread, and their
#   threads are fixed: at most workers x threads, or pool processes, connections.
# - ASGI servers run each request's sync code in a thread of its own, so a persistent
#   connection per thread would stay open after its thread is gone, one per request
#   (docs/reliability.md trap 11). Under ASGI, connections therefore always come from Django's
#   psycopg pool, at most DATABASE_POOL_SIZE per process, and none is kept outside it.
#   config/asgi.py is imported before these settings only when an ASGI server loads it;
#   `runserver` is daphne's (INSTALLED_APPS), ASGI too.
SERVED_BY_ASGI = "config.asgi" in sys.modules or sys.argv[1:2] == ["runserver"]
DATABASE_POOL_SIZE = env.int("DATABASE_POOL_SIZE", default=4 if SERVED_BY_ASGI else 0)
# Seconds a request waits for a pooled connection (all in use, or the database away) before
# the database error answers 503.
DATABASE_POOL_TIMEOUT = env.float("DATABASE_POOL_TIMEOUT", default=5.0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if SERVED_BY_ASGI and DATABASE_POOL_SIZE < 1:
        raise ImproperlyConfigured(
            "DATABASE_POOL_SIZE must be at least 1 under an ASGI server (docs/reliability.md trap 11)."
        )
    if DATABASE_POOL_SIZE:
        DATABASES["default"]["CONN_MAX_AGE"] = 0  # closing a connection returns it to the pool
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": 1,
            "max_size": DATABASE_POOL_SIZE,
            "timeout": DATABASE_POOL_TIMEOUT,
        }
    else:
        DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded server writes from more than one thread (requests, the embedded beat of
    # core/beat.py). A transaction that reads and then writes fails at once with "database is
    # locked" when another thread holds the write lock; BEGIN IMMEDIATE takes the lock first
    # and waits for it, up to `timeout` seconds.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20}
    )
IS_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache, channel layer, Celery broker ------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
# Seconds a Redis connect or reply may take before the caller gives up: Redis only speeds
# requests up (throttle counts, feed cache, presence, pushes), so when it is down or hung a
# request falls back without it after this long instead of waiting (docs/reliability.md).
REDIS_SOCKET_TIMEOUT = env.float("REDIS_SOCKET_TIMEOUT", default=0.5)
# One immediate retry on a broken connection (one Redis closed when it restarted: the pools
# keep such connections until used), none on a timeout: a hung Redis would make each request
# wait twice as long. Sync for the cache and core.redis, async for the channel layer.
REDIS_RETRY = RedisRetry(NoBackoff(), 1, supported_errors=(RedisConnectionError,))
ASYNC_REDIS_RETRY = AsyncRedisRetry(NoBackoff(), 1, supported_errors=(RedisConnectionError,))


CACHE_KEY_PREFIX = env.str("CACHE_KEY_PREFIX", default="chirp")


if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": CACHE_KEY_PREFIX,
            # Without timeouts a hung Redis holds every throttled request forever.
            "OPTIONS": {
                "socket_connect_timeout": REDIS_SOCKET_TIMEOUT,
                "socket_timeout": REDIS_SOCKET_TIMEOUT,
                "retry": REDIS_RETRY,
            },
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            # channels_redis's, with one push to many groups as one operation, drops
            # counted and logged, and a blocking pool (core/channel_layer.py).
            "BACKEND": "core.channel_layer.RedisChannelLayer",
            "CONFIG": {
                # A short connect timeout: a push that cannot reach Redis is dropped (and
                # logged) rather than holding the request; REST is the source of truth. The
                # read timeout must stay above channels_redis's blocking pop (5 s), which
                # every idle socket's consumer waits in: below it, a socket that got no
                # event for that long would crash its consumer and be closed with 1011.
                # Pushes from requests and tasks are bounded on their own (core.realtime).
                "hosts": [
                    {
                        "address": env.str("CHANNEL_LAYER_URL", default=REDIS_URL),
                        "socket_connect_timeout": REDIS_SOCKET_TIMEOUT,
                        "socket_timeout": 10,
                        "retry": ASYNC_REDIS_RETRY,
                    }
                ],
                # Messages waiting for one socket inside its server process.
                "capacity": 200,
                # Messages waiting in one server process's inbox in Redis, which all its
                # sockets share: one per push (a fan-out batch is one message per process).
                "inbox_capacity": 1000,
                # Connections per process and event loop, and how long a command waits
                # for one when all are busy (1,000 sockets closing at once) before failing.
                "max_connections": 32,
                "pool_timeout": 10,
                "expiry": 30,
                # Deployments (or test runs) sharing one Redis keep their groups apart.
                "prefix": env.str("CHANNEL_LAYER_PREFIX", default="asgi"),
            },
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "chirp",
        }
    }
    CHANNEL_LAYERS = {"default": {"BACKEND": "core.channel_layer.InMemoryChannelLayer"}}

# Bytes that may wait, unread by the client, for one WebSocket in its server process (daphne,
# core/daphne.py); beyond them the socket is closed with 4408 (docs/realtime.md).
STREAM_SEND_BUFFER_BYTES = env.int("STREAM_SEND_BUFFER_BYTES", default=256 * 1024)

# The broker (docs/reliability.md trap 17: queues on a shared Redis collide). It lives on
# REDIS_URL's server in a database apart from the cache's, so that flushing or evicting the
# cache's database never drops a queued task: database 1, or 0 when the cache is on 1.
# Every deployment on one Redis server thus shares that broker database, so each gets a
# queue of its own, named after its cache database and key prefix: two deployments whose
# REDIS_URL databases (or CACHE_KEY_PREFIX) differ never run each other's tasks.
if REDIS_URL:
    _cache_db = redis_db_number(REDIS_URL)
    _default_broker = redis_url_with_db(REDIS_URL, 0 if _cache_db == 1 else 1)
    _default_queue = f"{CACHE_KEY_PREFIX}-db{_cache_db}"
else:
    _default_broker, _default_queue = "memory://localhost/", "celery"
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=_default_broker)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
# The queue tasks are sent to and a plain `celery worker` consumes (tests and benchmarks set
# one per run to share a broker safely).
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default=_default_queue)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# acks_late + Redis: anything unacked for visibility_timeout is redelivered, so every task
# must finish (time limit) and back off well below it (docs/reliability.md trap 6).
# socket_timeout: without it, publishing to a hung Redis (a stopped process, a partition)
# waits forever after commit, holding the request. Workers are not affected: they read their
# blocking pops when the socket is readable. A publish that timed out may still have landed
# (the command was sent); a duplicate task is harmless, tasks being idempotent.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 3600,
    "socket_timeout": REDIS_SOCKET_TIMEOUT,
}
CELERY_TASK_TIME_LIMIT = 120
CELERY_TASK_SOFT_TIME_LIMIT = 100
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishing happens after commit inside a request: fail fast when the broker is down and
# let the reconcilers finish the work, rather than hold the request for kombu's retries.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
# Beat's schedule file (last run times), in a git-ignored folder rather than the working
# directory; the scheduler creates the folder (core/beat.py).
CELERY_BEAT_SCHEDULER = "core.beat:PersistentScheduler"
CELERY_BEAT_SCHEDULE_FILENAME = str(BASE_DIR / ".run" / "celerybeat-schedule")
# Without a broker (tasks eager), the serving process runs CELERY_BEAT_SCHEDULE itself
# (core/beat.py); off: nothing runs it.
EMBEDDED_BEAT = env.bool("EMBEDDED_BEAT", default=True)
CELERY_BEAT_SCHEDULE = {
    "compute-trends": {
        "task": "tweets.tasks.compute_trends",
        "schedule": env.int("TRENDS_INTERVAL_SECONDS", default=300),
    },
    "reconcile-fanouts": {
        "task": "newsfeeds.tasks.reconcile_fanouts",
        "schedule": env.int("NEWSFEED_RECONCILE_INTERVAL_SECONDS", default=60),
    },
    "refresh-suggestions": {
        "task": "friendships.tasks.refresh_suggestions",
        "schedule": env.int("SUGGESTIONS_INTERVAL_SECONDS", default=6 * 3600),
    },
    "purge-idempotency-keys": {
        "task": "core.tasks.purge_idempotency_keys",
        "schedule": env.int("IDEMPOTENCY_PURGE_INTERVAL_SECONDS", default=3600),
    },
}

# --- Auth ------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["accounts.backends.UsernameOrEmailBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Where the browsable API's session login (/api-auth/login/) lands without a `next`, and
# its logout (the landing page).
LOGIN_REDIRECT_URL = "/api/v1/newsfeed/"
LOGOUT_REDIRECT_URL = "/"
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=60 * 60 * 3)
EMAIL_VERIFICATION_MAX_AGE = env.int("EMAIL_VERIFICATION_MAX_AGE", default=60 * 60 * 24 * 3)
# A web client's base URL (a SPA): the links in emails open its /verify-email/ and
# /reset-password/ pages, and Facebook shares link to its /tweets/<id>/. Unset: email links
# open this server's own pages, on the scheme, host and port the request that caused the
# email came to (a reverse proxy must pass Host and X-Forwarded-Proto; set FRONTEND_URL in
# production so that links never depend on a Host header).
FRONTEND_URL = env.str("FRONTEND_URL", default="")

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=5)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=14)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    # Pinned, not left to the library's default (docs/reliability.md trap 1).
    "ALGORITHM": "HS256",
    "SIGNING_KEY": JWT_SIGNING_KEY,
    "CHECK_REVOKE_TOKEN": True,
}

# --- REST framework --------------------------------------------------------------------
THROTTLE_ENABLED = env.bool("THROTTLE_ENABLED", default=True)

REST_FRAMEWORK = {
    # JWT first, so an anonymous request gets 401 with WWW-Authenticate, not 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "core.authentication.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.CursorPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "core.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "core.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["core.throttling.ScopedRateThrottle"],
    # Per scope (a view's `throttle_scope`, core.throttling); THROTTLE_RATES overrides them.
    "DEFAULT_THROTTLE_RATES": {
        "signup": "10/hour",
        # Every door that checks a password (accounts.throttling): per client IP, per account.
        "login": "20/min",
        "login_account": "30/hour",
        # Separate buckets: asking for reset links does not use up the confirmations.
        "password_reset": "5/hour",
        "password_reset_confirm": "20/hour",
        "email": "5/hour",
        "token": "60/min",
        "post": "60/min",
        "toggle": "300/min",
        # `typing` frames on the stream socket, relayed to the other participants.
        "typing": "30/min",
        "upload": "30/min",
        "facebook": "30/min",
        "export": "10/day",
        "report": "30/hour",
        **env.dict("THROTTLE_RATES", default={}),
    },
    # How many reverse proxies stand in front (their X-Forwarded-For entries are trusted).
    # 0 = none: throttles use the socket's address and a client cannot fake another IP.
    "NUM_PROXIES": env.int("DJANGO_NUM_PROXIES", default=0),
    "EXCEPTION_HANDLER": "core.exception_handler.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "core.schema.ChirpAutoSchema",
    "DATETIME_FORMAT": "%Y-%m-%dT%H:%M:%S.%fZ",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Chirp API",
    "DESCRIPTION": "A Twitter-style social network: accounts, tweets, follows, newsfeed, "
    "notifications, direct messages and Facebook login. Errors share one envelope: "
    '{"code", "detail", "fields"?}.',
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Bearer JWT (the first authentication class) is the one scheme Swagger's Authorize
    # dialog offers: API clients use it, and a token pasted into the session-cookie scheme
    # listed before it was never sent. Sessions stay accepted for the browsable API.
    "AUTHENTICATION_WHITELIST": REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"][:1],
    # Request bodies say additionalProperties: false (core.api refuses unknown fields).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.schema.refuse_unknown_request_fields",
    ],
}

# --- Idempotent POSTs (docs/api-writes.md) ----------------------------------------------
# How long the first answer to a POST with an Idempotency-Key is replayed, and after how long
# a key whose request never finished (the process died) may be taken over by a retry: beyond
# the longest a request may run (gunicorn's timeout is 60 s).
IDEMPOTENCY_KEY_TTL_SECONDS = env.int("IDEMPOTENCY_KEY_TTL_SECONDS", default=24 * 3600)
IDEMPOTENCY_LOCK_SECONDS = env.int("IDEMPOTENCY_LOCK_SECONDS", default=120)

# --- Uploads ---------------------------------------------------------------------------
# Django has no per-file cap: these bound the request, validators bound each file.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 200
DATA_UPLOAD_MAX_NUMBER_FILES = 10
# The largest body any endpoint accepts (4 photos of 5 MB plus the form), refused up front.
MAX_REQUEST_BYTES = env.int("MAX_REQUEST_BYTES", default=22 * 1024 * 1024)
AVATAR_MAX_BYTES = env.int("AVATAR_MAX_BYTES", default=2 * 1024 * 1024)
AVATAR_MAX_PIXELS = env.int("AVATAR_MAX_PIXELS", default=25_000_000)
AVATAR_SIZE = env.int("AVATAR_SIZE", default=400)

TWEET_PHOTO_MAX_BYTES = env.int("TWEET_PHOTO_MAX_BYTES", default=5 * 1024 * 1024)
TWEET_PHOTO_MAX_PIXELS = env.int("TWEET_PHOTO_MAX_PIXELS", default=40_000_000)
# Stored photos are scaled down to fit this many pixels on their longest side.
TWEET_PHOTO_MAX_SIDE = env.int("TWEET_PHOTO_MAX_SIDE", default=4096)
# A tweet's text may be edited this many seconds after posting, at most this many times
# (then 403 edit_window_closed): a tweet cannot be rewritten after it spread.
TWEET_EDIT_WINDOW_SECONDS = env.int("TWEET_EDIT_WINDOW_SECONDS", default=3600)
TWEET_EDIT_LIMIT = env.int("TWEET_EDIT_LIMIT", default=5)
# Seconds a tweet's rendering stays in the Redis tweet cache (tweets.payloads). Entries are
# checked against the tweet's row on every read, so this bounds memory, not staleness.
TWEET_CACHE_TTL = env.int("TWEET_CACHE_TTL", default=3600)

# --- Trends ------------------------------------------------------------------------------
TRENDS_WINDOW_HOURS = env.int("TRENDS_WINDOW_HOURS", default=24)
TRENDS_SIZE = env.int("TRENDS_SIZE", default=20)

# --- Newsfeed (docs/fanout.md) --------------------------------------------------------
NEWSFEED_FANOUT_BATCH_SIZE = env.int("NEWSFEED_FANOUT_BATCH_SIZE", default=2500)
NEWSFEED_BACKFILL = env.int("NEWSFEED_BACKFILL", default=50)
NEWSFEED_CACHE_SIZE = env.int("NEWSFEED_CACHE_SIZE", default=800)
NEWSFEED_CACHE_TTL = env.int("NEWSFEED_CACHE_TTL", default=24 * 3600)
# Authors with at least this many followers are not fanned out; followers pull their
# tweets at read time (the hybrid model).
NEWSFEED_CELEBRITY_THRESHOLD = env.int("NEWSFEED_CELEBRITY_THRESHOLD", default=10_000)
# A fan-out still pending after this long is re-enqueued by the reconciler.
NEWSFEED_RECONCILE_AFTER_SECONDS = env.int("NEWSFEED_RECONCILE_AFTER_SECONDS", default=120)

# --- Suggestions -------------------------------------------------------------------------
SUGGESTIONS_TTL = env.int("SUGGESTIONS_TTL", default=24 * 3600)

# --- Facebook (docs/facebook.md) ---------------------------------------------------------
FACEBOOK_APP_ID = env.str("FACEBOOK_APP_ID", default="")
FACEBOOK_APP_SECRET = env.str("FACEBOOK_APP_SECRET", default="")
if FACEBOOK_APP_ID and not FACEBOOK_APP_SECRET:
    raise ImproperlyConfigured("FACEBOOK_APP_SECRET must be set with FACEBOOK_APP_ID.")
FACEBOOK_GRAPH_URL = env.str("FACEBOOK_GRAPH_URL", default="https://graph.facebook.com")
FACEBOOK_DIALOG_URL = env.str("FACEBOOK_DIALOG_URL", default="https://www.facebook.com")
FACEBOOK_API_VERSION = env.str("FACEBOOK_API_VERSION", default="v21.0")
FACEBOOK_SCOPES = env.list(
    "FACEBOOK_SCOPES", default=["public_profile", "email", "user_friends", "user_likes"]
)
# Seconds per Graph connect and read; idempotent calls are retried FACEBOOK_RETRIES times.
FACEBOOK_TIMEOUT = env.float("FACEBOOK_TIMEOUT", default=5.0)
FACEBOOK_RETRIES = env.int("FACEBOOK_RETRIES", default=2)
FACEBOOK_RETRY_BACKOFF = env.float("FACEBOOK_RETRY_BACKOFF", default=0.5)
FACEBOOK_MAX_PAGES = env.int("FACEBOOK_MAX_PAGES", default=50)
# Fernet keys for tokens at rest, comma-separated, newest first; empty: derived from the
# secret key with HKDF (then rotating DJANGO_SECRET_KEY forgets every stored token).
FACEBOOK_TOKEN_KEY = env.list("FACEBOOK_TOKEN_KEY", default=[])
# The OAuth callback URL registered with Facebook (default: built from the request).
FACEBOOK_REDIRECT_URI = env.str("FACEBOOK_REDIRECT_URI", default="")
FACEBOOK_LOGIN_REDIRECT_URL = env.str("FACEBOOK_LOGIN_REDIRECT_URL", default="/api/v1/me/")
FACEBOOK_STATE_MAX_AGE = env.int("FACEBOOK_STATE_MAX_AGE", default=600)
FACEBOOK_SIGNED_REQUEST_MAX_AGE = env.int("FACEBOOK_SIGNED_REQUEST_MAX_AGE", default=3600)
# The avatar fetch fence (docs/reliability.md trap 10): https, these hosts and their subdomains,
# public addresses only, a byte cap and a timeout.
FACEBOOK_AVATAR_ALLOWED_HOSTS = env.list(
    "FACEBOOK_AVATAR_ALLOWED_HOSTS", default=["fbcdn.net", "fbsbx.com"]
)
FACEBOOK_AVATAR_MAX_BYTES = env.int("FACEBOOK_AVATAR_MAX_BYTES", default=AVATAR_MAX_BYTES)
FACEBOOK_AVATAR_TIMEOUT = env.float("FACEBOOK_AVATAR_TIMEOUT", default=5.0)
# Hosts exempt from https and the public-address rule: the local fake Graph server only.
FACEBOOK_AVATAR_ALLOW_INSECURE_HOSTS = env.list("FACEBOOK_AVATAR_ALLOW_INSECURE_HOSTS", default=[])
if FACEBOOK_AVATAR_ALLOW_INSECURE_HOSTS and not DEBUG:
    raise ImproperlyConfigured("FACEBOOK_AVATAR_ALLOW_INSECURE_HOSTS is for development only.")
FACEBOOK_TOKEN_REFRESH_DAYS = env.int("FACEBOOK_TOKEN_REFRESH_DAYS", default=7)
FACEBOOK_SHARE_MAX_ATTEMPTS = env.int("FACEBOOK_SHARE_MAX_ATTEMPTS", default=5)
FACEBOOK_SHARE_RETRY_BACKOFF = env.int("FACEBOOK_SHARE_RETRY_BACKOFF", default=30)
FACEBOOK_RECONCILE_AFTER_SECONDS = env.int("FACEBOOK_RECONCILE_AFTER_SECONDS", default=1800)
CELERY_BEAT_SCHEDULE["facebook-refresh-tokens"] = {
    "task": "facebook_connect.tasks.refresh_expiring_tokens",
    "schedule": env.int("FACEBOOK_TOKEN_REFRESH_INTERVAL_SECONDS", default=6 * 3600),
}
CELERY_BEAT_SCHEDULE["facebook-reconcile-outbox"] = {
    "task": "facebook_connect.tasks.reconcile_outbox",
    "schedule": env.int("FACEBOOK_RECONCILE_INTERVAL_SECONDS", default=300),
}

# --- Mastodon client API (docs/mastodon.md) ----------------------------------------------
# The layer's instance root: clients are given https://host<MASTODON_PREFIX> as the instance
# URL. With MASTODON_HOST set, that host's root serves the layer too (its paths first).
MASTODON_PREFIX = "/" + env.str("MASTODON_PREFIX", default="/mastodon").strip("/")
MASTODON_HOST = env.str("MASTODON_HOST", default="")
MASTODON_INSTANCE_TITLE = env.str("MASTODON_INSTANCE_TITLE", default="Chirp")
# The resource owner password grant (RFC 9700 says it must not be used; Mastodon removed it).
MASTODON_PASSWORD_GRANT = env.bool("MASTODON_PASSWORD_GRANT", default=False)
# Seconds an uploaded, not yet posted media attachment is kept.
MASTODON_MEDIA_TTL = env.int("MASTODON_MEDIA_TTL", default=24 * 3600)
# Seconds the instance's counts (users, statuses) are cached: every client asks at start.
MASTODON_INSTANCE_STATS_TTL = env.int("MASTODON_INSTANCE_STATS_TTL", default=60)
CELERY_BEAT_SCHEDULE["mastodon-purge-media"] = {
    "task": "mastodon_api.tasks.purge_media",
    "schedule": env.int("MASTODON_MEDIA_PURGE_INTERVAL_SECONDS", default=3600),
}
# django-oauth-toolkit: Mastodon's scopes, PKCE when the client sends a challenge (S256),
# tokens that live until revoked as Mastodon's do, the grant types of mastodon_api.oauth.
MASTODON_SCOPES = {
    "read": "Read everything of your account",
    "write": "Post, favourite, reblog and change your account",
    "follow": "Follow, block and mute accounts",
    "push": "Receive push notifications",
    **{
        f"read:{area}": f"Read your {area}"
        for area in (
            "accounts", "blocks", "bookmarks", "favourites", "follows", "mutes",
            "notifications", "search", "statuses",
        )
    },
    **{
        f"write:{area}": f"Change your {area}"
        for area in (
            "accounts", "blocks", "bookmarks", "favourites", "follows", "media", "mutes",
            "notifications", "statuses",
        )
    },
}  # fmt: skip
# The toolkit's own models; named here because migrations refer to them by setting.
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
OAUTH2_PROVIDER = {
    "SCOPES": MASTODON_SCOPES,
    "DEFAULT_SCOPES": ["read"],
    "PKCE_REQUIRED": False,
    "ACCESS_TOKEN_EXPIRE_SECONDS": env.int("MASTODON_TOKEN_SECONDS", default=10 * 365 * 86400),
    "OAUTH2_VALIDATOR_CLASS": "mastodon_api.oauth.MastodonOAuth2Validator",
    # Plain http redirects only in development; an app's own scheme (myapp://) is allowed
    # for that app (mastodon_api.oauth.AuthorizeView).
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https", "http"] if DEBUG else ["https"],
    "REQUEST_APPROVAL_PROMPT": "force",
    # RFC 9700 (OAuth 2.0 Security Best Current Practice), as the toolkit's 4.0 will default:
    # no implicit grant, S256 only, no tokens in URLs, `iss` in authorization responses,
    # tokens stored hashed; the password grant only when MASTODON_PASSWORD_GRANT asks for it.
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": not MASTODON_PASSWORD_GRANT,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
}
# PKCE is used when the client sends a challenge, not required (the toolkit's check
# oauth2_provider.W010): Mastodon does not require it, and Mastodon.py, toot and many apps
# do not send one; every app is a confidential client that authenticates with its secret
# at the token endpoint (docs/mastodon.md).
SILENCED_SYSTEM_CHECKS = ["oauth2_provider.W010"]
# --- Account deletion and data export (docs/lifecycle.md) -------------------------------
# A purge or export task works this long, then hands the rest to a new task (well below
# CELERY_TASK_SOFT_TIME_LIMIT); its lease on the job lasts LIFECYCLE_LEASE_SECONDS from its
# last step, after which beat's reconciler gives the job to another worker.
LIFECYCLE_TASK_SECONDS = env.int("LIFECYCLE_TASK_SECONDS", default=60)
LIFECYCLE_LEASE_SECONDS = env.int("LIFECYCLE_LEASE_SECONDS", default=300)
# Rows per purge transaction, rows per page of an export's JSON files.
ACCOUNT_PURGE_BATCH_SIZE = env.int("ACCOUNT_PURGE_BATCH_SIZE", default=200)
DATA_EXPORT_BATCH_SIZE = env.int("DATA_EXPORT_BATCH_SIZE", default=1000)
DATA_EXPORT_MAX_ATTEMPTS = env.int("DATA_EXPORT_MAX_ATTEMPTS", default=5)
# How long a built export can be downloaded (its signed link and its file).
DATA_EXPORT_LINK_MAX_AGE = env.int("DATA_EXPORT_LINK_MAX_AGE", default=7 * 24 * 3600)
CELERY_BEAT_SCHEDULE["lifecycle-resume"] = {
    "task": "lifecycle.tasks.resume",
    "schedule": env.int("LIFECYCLE_RECONCILE_INTERVAL_SECONDS", default=60),
}
CELERY_BEAT_SCHEDULE["lifecycle-expire-exports"] = {
    "task": "lifecycle.tasks.expire_exports",
    "schedule": env.int("DATA_EXPORT_EXPIRY_INTERVAL_SECONDS", default=3600),
}

# --- Static and media ------------------------------------------------------------------
STATIC_URL = env.str("STATIC_URL", default="/static/")
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
MEDIA_URL = env.str("MEDIA_URL", default="/media/")
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
    # Data exports (lifecycle): private, outside MEDIA_ROOT, which nginx and SERVE_MEDIA
    # serve to anyone; read only through the app's signed download (docs/lifecycle.md).
    "exports": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": env.str("EXPORTS_ROOT", default=str(BASE_DIR / "exports")),
            "base_url": "/-/",  # never a URL: downloads go through the API
        },
    },
}
# Serve MEDIA_URL from the app itself (fine for one box; put a CDN or nginx in front at scale).
SERVE_MEDIA = env.bool("SERVE_MEDIA", default=True)

# --- Email -----------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Chirp <no-reply@chirp.local>")

# --- CORS (SPAs on other origins use bearer tokens, not cookies) --------------------------
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_HEADERS = (*cors_default_headers, "idempotency-key")
# A browser client may send an Idempotency-Key and read whether the answer was a replay.
CORS_EXPOSE_HEADERS = ["Idempotent-Replayed"]

# --- Security --------------------------------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_HSTS_SECONDS = env.int(
    "DJANGO_SECURE_HSTS_SECONDS", default=0 if DEBUG else 60 * 60 * 24 * 365
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
CSRF_FAILURE_VIEW = "core.views.csrf_failure"

# --- Time ------------------------------------------------------------------------------
TIME_ZONE = "UTC"

# --- Logging ---------------------------------------------------------------------------
# One handler (the root's) prints everything once. The server's access log has a line for
# every request, so Django's own line for a 4xx is dropped and other client errors lose
# their traceback; a 5xx keeps its one traceback (core/logs.py, docs/configuration.md).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"client_errors": {"()": "core.logs.ClientErrorFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["client_errors"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Django's default config gives `django` a console handler of its own with DEBUG on,
        # which printed every request error (and 500 traceback) a second time.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.db.backends": {"level": "WARNING"},
    },
}
if CELERY_TASK_ALWAYS_EAGER:
    # Tasks run inside requests and the embedded beat: a "Task ... succeeded" line for each
    # would bury the access log (workers keep theirs; eager failures propagate to the caller).
    LOGGING["loggers"]["celery.app.trace"] = {"level": "WARNING"}
