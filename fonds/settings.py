"""Django settings.

Two profiles, chosen by environment variables (see README "Profil de production"):

* embedded default — SQLite, Celery on a SQLite-backed kombu broker, no service needed;
* production — ``FJJ_DATABASE_URL=postgres://…`` and ``FJJ_BROKER_URL=redis://…`` (or
  ``amqp://…``), ``FJJ_DEBUG=0``, ``FJJ_SECRET_KEY``, ``FJJ_ALLOWED_HOSTS``.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from urllib.parse import unquote, urlparse

from celery.schedules import crontab

from fonds.ops.queues import DEFAULT_QUEUE, declared_queues

# pyHanko (issue 21) imports cryptography's DSA key types, never used here: no warning on the console
warnings.filterwarnings("ignore", message="DSA is deprecated")

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("FJJ_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def database_from_url(url: str) -> dict:
    """Turn ``postgres://user:pass@host:port/name`` or ``sqlite:///path`` into a DATABASES entry."""
    parsed = urlparse(url)
    if parsed.scheme in {"postgres", "postgresql"}:
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parsed.path.lstrip("/")) or "postgres",
            "USER": unquote(parsed.username or ""),
            "PASSWORD": unquote(parsed.password or ""),
            "HOST": parsed.hostname or "",
            "PORT": str(parsed.port or ""),
            "CONN_MAX_AGE": int(os.environ.get("FJJ_CONN_MAX_AGE", "60")),
            # a kept connection is checked before its first query of each request or task: a
            # database restart costs a reconnection, not a failed page or task
            "CONN_HEALTH_CHECKS": True,
            "TEST": {"NAME": os.environ.get("FJJ_TEST_DATABASE_NAME", "test_fjj")},
        }
    if parsed.scheme == "sqlite":
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": parsed.path or str(VAR_DIR / "fonds.sqlite3"),
            "OPTIONS": {
                "timeout": 30,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL;",
            },
            # a test database in a file, kept between runs with pytest's --reuse-db: the mutation
            # runs copy one migrated database in place of migrating it again for every mutant
            **(
                {"TEST": {"NAME": os.environ["FJJ_TEST_SQLITE_PATH"]}}
                if os.environ.get("FJJ_TEST_SQLITE_PATH")
                else {}
            ),
        }
    raise ValueError(f"FJJ_DATABASE_URL non reconnue : {url!r}")


DEBUG = env_bool("FJJ_DEBUG", True)
FJJ_PRODUCTION = (
    not DEBUG
)  # the profile, kept apart from DEBUG (which the test runner turns off): fonds/ops/production.py
SECRET_KEY = os.environ.get("FJJ_SECRET_KEY", "dev-only-insecure-key-change-me-in-production-0123456789")
ALLOWED_HOSTS = [
    h for h in os.environ.get("FJJ_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h
]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("FJJ_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "fonds.ops.staticfiles.FjjStaticFilesConfig",  # django.contrib.staticfiles, skipping what is never served
    "dsfr",  # before django.forms: its widget templates take precedence
    "django.forms",
    "widget_tweaks",  # django-dsfr's checkbox and radio field templates load it
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "django_countries",  # French country names (its translations)
    "viewflow",
    "viewflow.workflow",
    "csp",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "fonds.accounts",
    "fonds.referentiel",
    "fonds.audit",
    "fonds.dossiers",
    "fonds.eligibilite",
    "fonds.documents",
    "fonds.anchors",  # RFC 3161 time-stamps of the audit chain head (issue 21)
    "fonds.instruction",
    "fonds.avis",
    "fonds.depot",
    "fonds.suivi",
    "fonds.conversation",
    "fonds.bulk",
    "fonds.comite",
    "fonds.payments",
    "fonds.reporting",
    "fonds.proof",  # the complete dossier PDF and the campaign archive (issue 21)
    "fonds.ops",
    "fonds.privacy",
    "fonds.administration",
    "fonds.api",
    "fonds.ui",
    "fonds.web",
    "fonds.public",  # the projects the fund supports, public pages (issue 22)
    "fonds.demo",  # seed_demo, demo_otp_code
    "workflows",
    "fonds.notifications",  # after workflows: its receiver reads the dossier's new queue
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "fonds.ops.logging.RequestLogMiddleware",
    "fonds.ops.limits.MaxBodySizeMiddleware",
    "fonds.ops.limits.RejectNulBytesMiddleware",  # a NUL byte in the URL or query string: 400 (issue 14)
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "fonds.accounts.twofactor.RequireTwoFactorMiddleware",
    "fonds.accounts.read_only.ReadOnlyAuditorMiddleware",  # auditors change nothing, on every page (issue 7)
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "fonds.web.errors.FrenchNotFoundWhenDebug",  # the French 404 page in the embedded profile too
    "axes.middleware.AxesMiddleware",  # last: turns a lockout into our 429 page
]

ROOT_URLCONF = "fonds.urls"
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

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
                "fonds.web.context_processors.site_config",  # dsfr's, in one query
                "fonds.web.context_processors.navigation",
                "fonds.notifications.context_processors.unread_notifications",
            ],
        },
    },
]

WSGI_APPLICATION = "fonds.wsgi.application"

DATABASES = {
    "default": database_from_url(os.environ.get("FJJ_DATABASE_URL", f"sqlite:///{VAR_DIR / 'fonds.sqlite3'}"))
}
IS_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # first: refuses a locked-out (email, IP) before any password check
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Argon2id (argon2-cffi) hashes new and changed passwords, with OWASP's parameters (46 MiB, one
# pass, fonds/accounts/hashers.py): about 5 times less CPU per sign-in than Django's PBKDF2
# (1,000,000 iterations) for a memory-hard hash (issue 8, load test). The other hashers stay listed
# so that existing hashes still verify; Django re-hashes them with the first at the next sign-in.
PASSWORD_HASHERS = [
    "fonds.accounts.hashers.FjjArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français")]
#: django-countries' French calls Guyana « Guyane », the name of French Guiana (GF)
COUNTRIES_OVERRIDE = {"GY": "Guyana"}
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("FJJ_STATIC_ROOT", BASE_DIR / "staticfiles"))
WHITENOISE_USE_FINDERS = DEBUG  # development: serve app static files without collectstatic
MEDIA_ROOT = Path(os.environ.get("FJJ_MEDIA_ROOT", VAR_DIR / "media"))  # never served publicly
# Files: the local disk (embedded default), or an S3-compatible bucket shared by every host when
# FJJ_S3_BUCKET is set (issue 23). The bucket stays private: downloads stream through the
# application, which checks access first; no public or pre-signed URL is ever handed out.
FJJ_S3_BUCKET = os.environ.get("FJJ_S3_BUCKET", "")
DEFAULT_STORAGE = (
    {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": FJJ_S3_BUCKET,
            "endpoint_url": os.environ.get("FJJ_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("FJJ_S3_REGION") or None,
            "access_key": os.environ.get("FJJ_S3_ACCESS_KEY_ID") or None,
            "secret_key": os.environ.get("FJJ_S3_SECRET_ACCESS_KEY") or None,
            "location": os.environ.get("FJJ_S3_PREFIX", ""),
            "default_acl": None,  # the bucket's own (private) policy
            "querystring_auth": True,  # never an unsigned URL, should one be asked for
            "querystring_expire": 60,
            "file_overwrite": False,  # a name already taken gets a suffix, as on the local disk
            "addressing_style": os.environ.get("FJJ_S3_ADDRESSING_STYLE") or None,
        },
    }
    if FJJ_S3_BUCKET
    else {"BACKEND": "django.core.files.storage.FileSystemStorage"}
)
STORAGES = {
    "default": DEFAULT_STORAGE,
    "staticfiles": {
        "BACKEND": "fonds.ops.storage.StaticStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

EMAIL_BACKEND = os.environ.get("FJJ_EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = VAR_DIR / "emails"
DEFAULT_FROM_EMAIL = os.environ.get(
    "FJJ_FROM_EMAIL", "Fonds Jumelages Jeunesse <ne-pas-repondre@jumelages-jeunesse.example.fr>"
)

# --- Sign-in protection (fonds/accounts/security.py, twofactor.py, client_ip.py) ----------------
FJJ_REQUIRE_2FA = env_bool(
    "FJJ_REQUIRE_2FA", True
)  # TOTP for instructeur, comité, finance, admin, auditeur, staff
OTP_TOTP_ISSUER = "Fonds Jumelages Jeunesse"
FJJ_LOCKOUT_FAILURES = int(os.environ.get("FJJ_LOCKOUT_FAILURES", "5"))
FJJ_LOCKOUT_MINUTES = int(os.environ.get("FJJ_LOCKOUT_MINUTES", "15"))
FJJ_LOGIN_RATE = int(
    os.environ.get("FJJ_LOGIN_RATE", "20")
)  # sign-in POSTs (password or code) per minute per IP
FJJ_OTP_RATE = os.environ.get(
    "FJJ_OTP_RATE", "10/15m"
)  # second-factor codes per account, any IP (django-ratelimit)
# Trusted proxies in front of the app: 0 = REMOTE_ADDR only (X-Forwarded-For ignored); N = the Nth
# address from the right of X-Forwarded-For. One policy for every limiter (fonds/accounts/client_ip.py).
FJJ_PROXY_COUNT = int(os.environ.get("FJJ_PROXY_COUNT", "0"))
AXES_FAILURE_LIMIT = FJJ_LOCKOUT_FAILURES
AXES_COOLOFF_TIME = FJJ_LOCKOUT_MINUTES / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_CALLABLE = "fonds.accounts.security.axes_username"
AXES_LOCKOUT_CALLABLE = "fonds.accounts.security.lockout_response"
AXES_CLIENT_IP_CALLABLE = "fonds.accounts.client_ip.client_ip"
AXES_RESET_ON_SUCCESS = (
    False  # reset once the sign-in is complete, second factor included (accounts/signals.py)
)
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "password", "otp", "code"]
AXES_VERBOSE = False
RATELIMIT_USE_CACHE = "limits"  # django-ratelimit: counters in the strict alias (closed when Redis is down)
RATELIMIT_IP_META_KEY = "fonds.accounts.client_ip.client_ip"
RATELIMIT_FAIL_OPEN = False

# --- ProConnect (the State's OpenID Connect federation; fonds/accounts/proconnect.py) -----------
# Off by default: no button, /compte/proconnect/… answer 404. Endpoints come from the discovery
# document unless set one by one. Accounts are never created from ProConnect (docs/accounts.md).
FJJ_PROCONNECT_ENABLED = env_bool("FJJ_PROCONNECT_ENABLED", False)
FJJ_PROCONNECT_CLIENT_ID = os.environ.get("FJJ_PROCONNECT_CLIENT_ID", "")
FJJ_PROCONNECT_CLIENT_SECRET = os.environ.get("FJJ_PROCONNECT_CLIENT_SECRET", "")
FJJ_PROCONNECT_DISCOVERY_URL = os.environ.get("FJJ_PROCONNECT_DISCOVERY_URL", "")
FJJ_PROCONNECT_ISSUER = os.environ.get("FJJ_PROCONNECT_ISSUER", "")
FJJ_PROCONNECT_AUTHORIZATION_ENDPOINT = os.environ.get("FJJ_PROCONNECT_AUTHORIZATION_ENDPOINT", "")
FJJ_PROCONNECT_TOKEN_ENDPOINT = os.environ.get("FJJ_PROCONNECT_TOKEN_ENDPOINT", "")
FJJ_PROCONNECT_USERINFO_ENDPOINT = os.environ.get("FJJ_PROCONNECT_USERINFO_ENDPOINT", "")
FJJ_PROCONNECT_JWKS_ENDPOINT = os.environ.get("FJJ_PROCONNECT_JWKS_ENDPOINT", "")
# sign-out: ends the ProConnect session too (discovery's end_session_endpoint when empty)
FJJ_PROCONNECT_END_SESSION_ENDPOINT = os.environ.get("FJJ_PROCONNECT_END_SESSION_ENDPOINT", "")
FJJ_PROCONNECT_SCOPES = os.environ.get("FJJ_PROCONNECT_SCOPES", "openid email given_name usual_name")
FJJ_PROCONNECT_SIGN_ALGO = os.environ.get("FJJ_PROCONNECT_SIGN_ALGO", "RS256")
FJJ_PROCONNECT_ACR_VALUES = os.environ.get("FJJ_PROCONNECT_ACR_VALUES", "")  # e.g. "eidas2" to ask for MFA
FJJ_PROCONNECT_USE_PKCE = env_bool("FJJ_PROCONNECT_USE_PKCE", True)
FJJ_PROCONNECT_TIMEOUT = float(os.environ.get("FJJ_PROCONNECT_TIMEOUT", "10"))
# the identity provider's multi-factor (acr in this list, or amr naming one of these) replaces TOTP
FJJ_PROCONNECT_MFA_ACR = os.environ.get("FJJ_PROCONNECT_MFA_ACR", "eidas2,eidas3")
FJJ_PROCONNECT_MFA_AMR = os.environ.get("FJJ_PROCONNECT_MFA_AMR", "mfa,otp")
FJJ_PROCONNECT_MFA_REPLACES_TOTP = env_bool("FJJ_PROCONNECT_MFA_REPLACES_TOTP", True)

# One cache shared by every process in production (rate limits, throttles, sessions): Redis, as two
# aliases on the same server (fonds/accounts/cache.py): ``default`` reads a miss and skips writes when
# Redis is down (sessions then come from the database), ``limits`` raises (sign-in refused, API
# throttles lifted). Short socket timeouts: a hung Redis costs at most this per try.
if os.environ.get("FJJ_CACHE_URL"):
    _REDIS_CACHE = {
        "LOCATION": os.environ["FJJ_CACHE_URL"],
        "OPTIONS": {
            "socket_connect_timeout": float(os.environ.get("FJJ_CACHE_TIMEOUT", "0.5")),
            "socket_timeout": float(os.environ.get("FJJ_CACHE_TIMEOUT", "0.5")),
        },
    }
    CACHES = {
        "default": {"BACKEND": "fonds.accounts.cache.FailSoftRedisCache", **_REDIS_CACHE},
        "limits": {"BACKEND": "fonds.accounts.cache.StrictRedisCache", **_REDIS_CACHE},
    }
else:  # one process-local store for both (same LOCATION: clearing one clears the other)
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "fjj"},
        "limits": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "fjj"},
    }
FJJ_CACHE_RETRY_SECONDS = float(os.environ.get("FJJ_CACHE_RETRY_SECONDS", "5"))  # down: next try after this
# Sessions: read from that shared cache, written through to the database (one query less on every
# page, issue 8); while Redis is down, read from and written to the database alone. Only with a
# cache every process shares: a per-process cache would keep serving a session that another
# process changed or ended (sign-out, two-factor check).
SESSION_ENGINE = (
    "django.contrib.sessions.backends.cached_db"
    if os.environ.get("FJJ_CACHE_URL")
    else "django.contrib.sessions.backends.db"
)

# --- Celery ----------------------------------------------------------------------------------
CELERY_BROKER_URL = os.environ.get("FJJ_BROKER_URL", f"sqla+sqlite:///{VAR_DIR / 'celery-broker.sqlite3'}")
CELERY_RESULT_BACKEND = os.environ.get(
    "FJJ_RESULT_BACKEND", f"db+sqlite:///{VAR_DIR / 'celery-results.sqlite3'}"
)
CELERY_TASK_ALWAYS_EAGER = env_bool("FJJ_CELERY_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery's Django fixup closes every database connection around each task unless this is set: a
# new PostgreSQL backend per task (≈ 10 ms of CPU, docs/benchmarks.md). Set, it closes them every
# that many tasks; fonds/celery.py closes them as Django does around requests (old or broken).
CELERY_DB_REUSE_MAX = 1000
# A task running when the broker connection drops finishes its work (idempotent: if the broker hands
# it out again, it finds it done); cancelling it would lose it when Redis restarts empty.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# One beat sends, however many run: the others wait for its lease to lapse (fonds/ops/beat.py).
CELERY_BEAT_SCHEDULER = "fonds.ops.beat:LeasedScheduler"
FJJ_BEAT_LEASE_SECONDS = float(os.environ.get("FJJ_BEAT_LEASE_SECONDS", "60"))
# Four queues, so a receipt never waits behind a bulk job (fonds/ops/queues.py, docs/runbook.md).
CELERY_TASK_QUEUES = declared_queues()
CELERY_TASK_DEFAULT_QUEUE = DEFAULT_QUEUE
CELERY_TASK_ROUTES = ("fonds.ops.queues.route_task",)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A document still in preparation after this many minutes is said to be late (its page offers help).
FJJ_DOCUMENT_LATE_MINUTES = float(os.environ.get("FJJ_DOCUMENT_LATE_MINUTES", "10"))
# how often each worker reports alive, and the outbox is swept for messages a broker outage kept
FJJ_HEARTBEAT_SECONDS = float(os.environ.get("FJJ_HEARTBEAT_SECONDS", "60"))
FJJ_OUTBOX_FLUSH_SECONDS = float(os.environ.get("FJJ_OUTBOX_FLUSH_SECONDS", "60"))
# Audit chaining (docs/audit.md): ``inline`` chains each event in its change's transaction under
# one lock; ``deferred`` commits it pending and the ``audit_sequencer`` process chains it within a
# second (the beat task below is its safety net). Production on PostgreSQL sets ``deferred`` and runs
# that process (docs/runbook.md); the default stays ``inline`` because the scripts that start the
# production profile without a sequencer (benches, smoke test) would otherwise leave events pending.
FJJ_AUDIT_SEQUENCING = os.environ.get("FJJ_AUDIT_SEQUENCING", "inline")
# ``verify_audit`` and ``/sante/`` fail when an event has waited longer than this to be chained.
FJJ_AUDIT_MAX_LAG_SECONDS = float(os.environ.get("FJJ_AUDIT_MAX_LAG_SECONDS", "60"))
CELERY_BEAT_SCHEDULE = {
    "verify-audit-chain-daily": {"task": "fonds.audit.tasks.verify_chain", "schedule": 24 * 3600},
    "sequence-audit-events": {"task": "fonds.audit.tasks.sequence_events", "schedule": 15},
    "expire-deadlines-hourly": {"task": "workflows.tasks.expire_deadlines", "schedule": 3600},
    "send-reminders-hourly": {"task": "workflows.tasks.send_reminders", "schedule": 3600},
    "worker-heartbeat": {"task": "fonds.ops.tasks.heartbeat", "schedule": FJJ_HEARTBEAT_SECONDS},
    "expire-recovery-answers-hourly": {
        "task": "fonds.payments.tasks.expire_recovery_answers",
        "schedule": 3600,
    },
    "flush-outbox": {"task": "fonds.ops.tasks.flush_outbox", "schedule": FJJ_OUTBOX_FLUSH_SECONDS},
    # the chain head time-stamped by the TSA every day (and at every committee closing); a failed
    # attempt is tried again through the outbox every 10 minutes until the authority answers
    "anchor-audit-head-daily": {
        "task": "fonds.anchors.tasks.anchor_head",
        "schedule": crontab(hour=2, minute=15),
        "args": ("daily",),
    },
    "retry-audit-anchor": {"task": "fonds.anchors.tasks.retry_failed_anchor", "schedule": 600},
    "purge-minors-data-daily": {"task": "fonds.privacy.tasks.purge_minors_data", "schedule": 24 * 3600},
    # expert opinions (fonds.avis): reminders before the deadline, expiry after it
    "avis-remind-and-expire-daily": {
        "task": "fonds.avis.tasks.remind_and_expire",
        "schedule": crontab(hour=6, minute=45),
    },
    # the digest leaves at 7:00 (Paris), after the waiting-too-long check of 6:30 fed it
    "flag-waiting-too-long-daily": {
        "task": "fonds.notifications.tasks.flag_waiting_too_long",
        "schedule": crontab(hour=6, minute=30),
    },
    "send-notification-digests-daily": {
        "task": "fonds.notifications.tasks.send_daily_digests",
        "schedule": crontab(hour=7, minute=0),
    },
}
CELERY_BROKER_CONNECTION_TIMEOUT = float(os.environ.get("FJJ_BROKER_CONNECTION_TIMEOUT", "4"))
# Tasks are acknowledged once done (acks_late) and given back when their worker dies
# (reject_on_worker_lost); every task is idempotent (docs/conventions.md), none overrides this.
# Redis: an unacknowledged task comes back after the visibility timeout (kombu's default: 1 hour,
# issue 14). Ours, 15 min, is above the longest task measured (bulk action on 100,000 dossiers
# 110–540 s, XLSX export of 100,000 dossiers 230 s: docs/benchmarks.md) and above the longest retry
# countdown a worker holds unacknowledged (retry_backoff_max, 600 s), so a task still running or
# waiting is not handed to a second worker. Raise it if a task may run longer. RabbitMQ has no such
# timeout (a dead worker's messages return when its connection closes); its server-side
# consumer_timeout (30 min by default) must stay above the same durations. (README, docs/runbook.md)
FJJ_BROKER_VISIBILITY_TIMEOUT = float(os.environ.get("FJJ_BROKER_VISIBILITY_TIMEOUT", "900"))
if CELERY_BROKER_URL.startswith(("redis://", "rediss://", "redis+socket://", "sentinel://")):
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": FJJ_BROKER_VISIBILITY_TIMEOUT}

# --- API -------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # a token (any other Authorization header: 401), or a session that passed the second factor
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "fonds.api.authentication.StrictTokenAuthentication",
        "fonds.api.authentication.VerifiedSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "fonds.api.errors.exception_handler",
    "DEFAULT_PARSER_CLASSES": [
        "fonds.api.parsers.SafeJSONParser",
        "rest_framework.parsers.FormParser",
        "fonds.api.parsers.SafeMultiPartParser",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # keyed on fonds.accounts.client_ip; open when the cache is down (the token endpoint: closed)
    "DEFAULT_THROTTLE_CLASSES": [
        "fonds.accounts.throttling.AnonRateThrottle",
        "fonds.accounts.throttling.UserRateThrottle",
    ],
    "NUM_PROXIES": FJJ_PROXY_COUNT,
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("FJJ_API_ANON_RATE", "60/minute"),
        "user": os.environ.get("FJJ_API_USER_RATE", "1200/minute"),
        "token": os.environ.get("FJJ_API_TOKEN_RATE", "10/minute"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "API Fonds Jumelages Jeunesse",
    "DESCRIPTION": "Dossiers, transitions, campagnes, communes et piste d'audit.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    # two models have a `state` choice field: name their enums (spectacular --fail-on-warn)
    "ENUM_NAME_OVERRIDES": {
        "PaymentOrderStateEnum": "fonds.payments.models.OrderState",
        "BatchStateEnum": "fonds.payments.models.BatchState",
        "StatusEnum": "fonds.dossiers.states.Status",  # the dossier's, named as before issue 20
        "AvisStatusEnum": "fonds.avis.models.AvisStatus",
    },
}

# --- Public pages (fonds/public, issue 22) -----------------------------------------------------
FJJ_PUBLIC_CACHE_SECONDS = int(os.environ.get("FJJ_PUBLIC_CACHE_SECONDS", "60"))  # cached page data
FJJ_PUBLIC_RATE = os.environ.get("FJJ_PUBLIC_RATE", "120/m")  # public pages, per client address
FJJ_PUBLIC_API_RATE = os.environ.get("FJJ_PUBLIC_API_RATE", "120/minute")  # public JSON, per address

# --- The fund ------------------------------------------------------------------------------
#: processing times (dashboard, decision export) in working days (Monday to Friday) rather than
#: calendar days; public holidays count as working days (no holiday calendar is installed)
FJJ_PROCESSING_WORKING_DAYS = env_bool("FJJ_PROCESSING_WORKING_DAYS", False)
FJJ_FUND_NAME = "Fonds de soutien aux jumelages des petites communes — mobilité des jeunes"
FJJ_SITE_URL = os.environ.get("FJJ_SITE_URL", "http://127.0.0.1:8000")
FJJ_INVITATION_DAYS = int(os.environ.get("FJJ_INVITATION_DAYS", "7"))
# an expert is reminded this many days before their opinion's deadline (0: no reminder)
FJJ_AVIS_REMINDER_DAYS = int(os.environ.get("FJJ_AVIS_REMINDER_DAYS", "3"))
# SIRET of the fund (attribuant of the SCDL open data export); no default: never publish a false one
FJJ_SIRET = os.environ.get("FJJ_SIRET", "")
# Payments (issue 6): the fund's account, debtor of every SEPA credit transfer (demo defaults)
FJJ_DEBTOR_NAME = os.environ.get("FJJ_DEBTOR_NAME", "Fonds Jumelages Jeunesse")
FJJ_DEBTOR_IBAN = os.environ.get("FJJ_DEBTOR_IBAN", "FR7630001007941234567890185")
FJJ_DEBTOR_BIC = os.environ.get("FJJ_DEBTOR_BIC", "BDFEFRPPCCT")

# --- Proof (issue 21, docs/proof.md) ---------------------------------------------------------
# RFC 3161 time-stamping authority that anchors the audit chain head outside the database.
# No URL: no anchoring (the health page says « non configuré »).
FJJ_TSA_URL = os.environ.get("FJJ_TSA_URL", "")
# policy the fund asks for (reqPolicy) and requires in every token; empty: the TSA's default
FJJ_TSA_POLICY_OID = os.environ.get("FJJ_TSA_POLICY_OID", "")
# PEM files (separated by the OS path separator) of the certificates trusted for the TSA's tokens:
# its root (or its own certificate); a token is valid only if its signer chains to one of them
FJJ_TSA_CERTIFICATES = [p for p in os.environ.get("FJJ_TSA_CERTIFICATES", "").split(os.pathsep) if p]
FJJ_TSA_TIMEOUT = float(os.environ.get("FJJ_TSA_TIMEOUT", "10"))
# the health page degrades when the last anchor is older than this (a day and some slack)
FJJ_ANCHOR_MAX_AGE_HOURS = float(os.environ.get("FJJ_ANCHOR_MAX_AGE_HOURS", "26"))
# The fund's electronic seal (PAdES) on the PDFs it issues: one PEM file holding the private key
# and the certificate (then its chain, if any). Embedded profile: a self-signed demonstration
# certificate is made there on first use (``manage.py make_seal_certificate``); in production
# the file must exist (a qualified seal certificate: docs/proof.md).
FJJ_SEAL_DOCUMENTS = env_bool("FJJ_SEAL_DOCUMENTS", True)
FJJ_SEAL_PEM = os.environ.get("FJJ_SEAL_PEM", str(VAR_DIR / "seal" / "sceau-fonds.pem"))
FJJ_SEAL_PASSPHRASE = os.environ.get("FJJ_SEAL_PASSPHRASE", "")
FJJ_SEAL_DEMO_CERTIFICATE = env_bool("FJJ_SEAL_DEMO_CERTIFICATE", not FJJ_PRODUCTION)

DSFR_USE_INTEGRITY_CHECKSUMS = False
DSFR_CONTENT_IS_SAFE = (
    False  # messages and alerts escaped; HTML on purpose is built with format_html (issue 14)
)

# --- Error pages and hostile input (issue 14) -------------------------------------------------
CSRF_FAILURE_VIEW = "fonds.web.errors.csrf_failure"  # the site's French 403 page, not Django's English one
FILE_UPLOAD_HANDLERS = [  # the temporary file of a large upload is named safely, whatever the client sent
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "fonds.ops.uploads.SafeNameTemporaryFileUploadHandler",
]
FJJ_API_MAX_JSON_DEPTH = int(os.environ.get("FJJ_API_MAX_JSON_DEPTH", "20"))  # deeper JSON bodies: 400
# uploads: total size of a PDF's streams once decompressed, and pixels of an image (PDF or PNG/JPEG);
# a campaign may set its own (rules.params["uploads"]["max_inflated_mb" / "max_image_megapixels"])
FJJ_UPLOAD_MAX_INFLATED_MB = int(os.environ.get("FJJ_UPLOAD_MAX_INFLATED_MB", "200"))
FJJ_UPLOAD_MAX_IMAGE_MEGAPIXELS = int(os.environ.get("FJJ_UPLOAD_MAX_IMAGE_MEGAPIXELS", "60"))

# Structured logs: one JSON line per request and per task in production (FJJ_LOG_FORMAT=json, the
# default when FJJ_DEBUG=0); IBANs and secrets masked by a filter on every handler (fonds/ops/logging.py).
LOG_FORMAT = os.environ.get("FJJ_LOG_FORMAT", "text" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "redact": {"()": "fonds.ops.logging.RedactFilter"},
        "client_errors": {"()": "fonds.ops.logging.ClientErrorFilter"},
    },
    "formatters": {
        "json": {"()": "fonds.ops.logging.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT if LOG_FORMAT in ("json", "text") else "json",
            "filters": ["client_errors", "redact"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("FJJ_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django.server": {"level": "WARNING"},  # fonds.request logs every request already
        "fonds.request": {"level": os.environ.get("FJJ_REQUEST_LOG_LEVEL", "INFO")},
        # library chatter (one INFO line per font or unsupported CSS property in every PDF)
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        "axes": {"level": "WARNING"},  # three INFO lines per sign-in (lockouts are warnings)
    },
}
FJJ_MAX_REQUEST_MB = int(
    os.environ.get("FJJ_MAX_REQUEST_MB", "60")
)  # larger bodies: 413 (fonds/ops/limits.py)
FJJ_HEARTBEAT_MAX_AGE = int(os.environ.get("FJJ_HEARTBEAT_MAX_AGE", "180"))

if not DEBUG:
    # FJJ_SECURE_COOKIES=0 only for a load test over plain HTTP on localhost (bench/bench_load.py)
    SESSION_COOKIE_SECURE = env_bool("FJJ_SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("FJJ_SECURE_COOKIES", True)
    SECURE_SSL_REDIRECT = env_bool("FJJ_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("FJJ_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
# Content Security Policy (django-csp): no inline script or style anywhere — JS and CSS are static
# files (tests/web/test_no_inline_code.py checks the templates; the browser suite reports violations).
from csp.constants import NONE, SELF  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [SELF],  # PDFs shown inline (convention, documents under instruction)
        "frame-src": [SELF],
        "frame-ancestors": [SELF],
        "form-action": [SELF],
        "base-uri": [NONE],
    }
}
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
