"""Schoolchat settings: one file, read from the environment.

With no variables set, Schoolchat runs on the embedded default: a SQLite file, an in-process
real-time hub, Celery on a folder of message files in ``var/celery`` (no broker server) and
e-mail printed to the console. Setting ``SECRET_KEY`` switches to production behaviour (DEBUG
off, secure cookies, HSTS), where ``ALLOWED_HOSTS`` must be set too; ``DATABASE_URL`` and
``REDIS_URL`` select the services.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

from schoolchat.env import (
    ImproperlyConfiguredEnv,
    env_bool,
    env_int,
    env_list,
    env_required,
    env_str,
    weak_secret_key,
)

BASE_DIR = Path(__file__).resolve().parent.parent

PRODUCTION = bool(env_str("SECRET_KEY"))
DEBUG = env_bool("DEBUG", default=not PRODUCTION)

SECRET_KEY = env_required(
    "SECRET_KEY",
    production=PRODUCTION,
    dev_default="django-insecure-embedded-default-do-not-use-in-production",
)
if PRODUCTION and weak_secret_key(SECRET_KEY):
    # Django's deploy check only warns (security.W009); a guessable key forges sessions and
    # password-reset tokens, so production does not start with one.
    raise ImproperlyConfiguredEnv(
        "SECRET_KEY is too weak: use at least 50 random characters (not 'django-insecure...'),"
        " e.g. python -c 'import secrets; print(secrets.token_urlsafe(50))'"
    )
# Earlier keys, comma-separated, still accepted while sessions and stored secrets (the schools'
# single sign-on client secrets, sso.secret_box) move to the new SECRET_KEY.
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost"])
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfiguredEnv("ALLOWED_HOSTS must be set when SECRET_KEY is set")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "daphne",
    # The Django admin, for operators only (superusers, through the app's two-factor login).
    "accounts.apps.OperatorAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "guardian",
    "axes",
    "accounts",
    "messaging",
    "notifications",
    "consent",
    "archive",
    "records",
    "safeguarding",
    "polls",
    "agenda",
    "sso",
    "absence",
    "api",
    "meetings",
    "activities",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Serves /static/ from the one daphne process, compressed and cached; no extra web server.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Idle timeout and absolute cap, written into the session store (see Sessions below).
    "accounts.session_expiry.SessionExpiryMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A redirect to the login page for a session ended on the server clears the browser's
    # offline copies and service worker (Clear-Site-Data).
    "accounts.ended_sessions.EndedSessionMiddleware",
    # A signed-in person's own language (User.language) over the cookie's and the browser's.
    "accounts.language.UserLanguageMiddleware",
    # The signed-in person's school's time zone (School.time_zone) for the times on a page.
    "accounts.timezones.SchoolTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a lockout raised in authentication into a response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "schoolchat.urls"
ASGI_APPLICATION = "schoolchat.asgi.application"
WSGI_APPLICATION = "schoolchat.wsgi.application"

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
                # The login page's "Sign in with <the school's provider>" (sso).
                "sso.context.login_offer",
            ],
        },
    },
]

# --- Data ---------------------------------------------------------------------------------
SQLITE_PATH = Path(env_str("SQLITE_PATH", str(BASE_DIR / "var" / "schoolchat.sqlite3")))
DATABASE_URL = env_str("DATABASE_URL")
# PostgreSQL connections come from a pool per process (psycopg's, through Django): a request
# or a socket's database call borrows one for as long as that call runs and gives it back, so
# thousands of open sockets share a few connections. Each process opens at least MIN and at
# most MAX; a call that finds none free waits up to TIMEOUT seconds and then fails. Add up MAX
# over every daphne process and Celery worker: it must stay below PostgreSQL's
# max_connections (100 by default). A borrowed connection is checked first (an empty query),
# so the connections a PostgreSQL restart broke are replaced instead of failing a send.
SCHOOLCHAT_DB_POOL_MIN = env_int("SCHOOLCHAT_DB_POOL_MIN", 1)
SCHOOLCHAT_DB_POOL_MAX = env_int("SCHOOLCHAT_DB_POOL_MAX", 8)
SCHOOLCHAT_DB_POOL_TIMEOUT = env_int("SCHOOLCHAT_DB_POOL_TIMEOUT", 10)
if not 0 <= SCHOOLCHAT_DB_POOL_MIN <= SCHOOLCHAT_DB_POOL_MAX or SCHOOLCHAT_DB_POOL_MAX < 1:
    raise ImproperlyConfiguredEnv(
        "SCHOOLCHAT_DB_POOL_MIN and SCHOOLCHAT_DB_POOL_MAX: need 0 <= MIN <= MAX and MAX >= 1")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": SCHOOLCHAT_DB_POOL_MIN,
            "max_size": SCHOOLCHAT_DB_POOL_MAX,
            "timeout": SCHOOLCHAT_DB_POOL_TIMEOUT,
        }
else:
    DATABASES = {
        "default": dj_database_url.parse(f"sqlite:///{SQLITE_PATH}"),
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)
    # WAL lets readers go on while one writer commits; IMMEDIATE takes the write lock at BEGIN,
    # so two writers queue (for up to `timeout` seconds) instead of failing with "locked".
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["TEST"] = {"NAME": str(SQLITE_PATH.with_name("test.sqlite3"))}
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# --- Real-time and jobs -------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
# The hub fans events out to this process's sockets; with Redis it also crosses processes.
SCHOOLCHAT_REDIS_PREFIX = env_str("SCHOOLCHAT_REDIS_PREFIX")
SCHOOLCHAT_HUB = env_str("SCHOOLCHAT_HUB",
                         "messaging.hub.RedisHub" if REDIS_URL else "messaging.hub.LocalHub")
# LocalHub only (no Redis): how often, while this process has sockets, it reads the newest seq
# of their conversations and whether their users are still active, so what another process
# (the Celery worker) committed reaches them; 0 turns it off.
SCHOOLCHAT_LOCAL_HUB_POLL_SECONDS = env_int("SCHOOLCHAT_LOCAL_HUB_POLL_SECONDS", 1)
# Events a slow socket may have queued before it is disconnected (it then resumes by seq).
SCHOOLCHAT_SOCKET_QUEUE = env_int("SCHOOLCHAT_SOCKET_QUEUE", 500)
# Bytes written to a socket but not yet taken by its client before the socket is closed as too
# slow (it resumes by seq on reconnect); bounds the server's memory per socket.
SCHOOLCHAT_SOCKET_BUFFER_BYTES = env_int("SCHOOLCHAT_SOCKET_BUFFER_BYTES", 262_144)
SCHOOLCHAT_MESSAGE_MAX_CHARS = env_int("SCHOOLCHAT_MESSAGE_MAX_CHARS", 4000)
# A browser's frame larger than this (UTF-8 bytes), or JSON nested deeper than the depth, is
# answered with an error frame and not parsed; a 4,000-character message with attachments is
# far below both.
SCHOOLCHAT_SOCKET_FRAME_BYTES = env_int("SCHOOLCHAT_SOCKET_FRAME_BYTES", 65_536)
SCHOOLCHAT_SOCKET_JSON_DEPTH = env_int("SCHOOLCHAT_SOCKET_JSON_DEPTH", 16)
# How often an open socket checks that its session still exists, has not expired and still
# belongs to an active user with the same password (logouts and changes close it at once).
SCHOOLCHAT_SOCKET_RECHECK_SECONDS = env_int("SCHOOLCHAT_SOCKET_RECHECK_SECONDS", 60)
# Sockets one person may have open at once, over every process (tabs and devices together); a
# socket past it closes the person's oldest (messaging/socket_slots.py, docs/protocol.md).
SCHOOLCHAT_SOCKETS_PER_PERSON = env_int("SCHOOLCHAT_SOCKETS_PER_PERSON", 10)
if SCHOOLCHAT_SOCKETS_PER_PERSON < 1:
    raise ImproperlyConfiguredEnv("SCHOOLCHAT_SOCKETS_PER_PERSON must be at least 1")
# How often a page sends its heartbeat; one without an answer within two beats (and a bit) is
# a dead socket, shown and reconnected. Also what keeps "the conversation is open" alive for
# the push sender (three beats, at least 45 s).
SCHOOLCHAT_SOCKET_HEARTBEAT_SECONDS = env_int("SCHOOLCHAT_SOCKET_HEARTBEAT_SECONDS", 12)
# How long a page waits for the ack of a send before sending it again (same client_id); the
# wait doubles with each try, and after four sends without an answer the page shows the
# message as not sent, with "Try again".
SCHOOLCHAT_SOCKET_ACK_TIMEOUT_SECONDS = env_int("SCHOOLCHAT_SOCKET_ACK_TIMEOUT_SECONDS", 5)
# Messages a conversation page loads at once (and each "earlier messages" step).
SCHOOLCHAT_HISTORY_PAGE = env_int("SCHOOLCHAT_HISTORY_PAGE", 50)
# How long after sending its sender may still edit or retract a message.
SCHOOLCHAT_RETRACT_MINUTES = env_int("SCHOOLCHAT_RETRACT_MINUTES", 15)
# The site's address (https://chat.school.example) in front of the links sent by e-mail
# (invitations, password resets); empty: the links are relative to the site.
SCHOOLCHAT_BASE_URL = env_str("SCHOOLCHAT_BASE_URL")

# Channels is used for its consumer and routing only; fan-out goes through the hub.
CHANNEL_LAYERS: dict[str, dict[str, str]] = {}

# With Redis, Redis is the broker (compose's worker and beat). Without it (the embedded default,
# `make serve`) the broker is a folder of message files in var/celery/ (schoolchat/broker.py):
# no server, for one machine only. Nothing waits for a task's result, so there is no backend.
CELERY_BROKER_URL = REDIS_URL or "filesystem://localhost/"
CELERY_RESULT_BACKEND = None
SCHOOLCHAT_CELERY_DIR = env_str("SCHOOLCHAT_CELERY_DIR", str(BASE_DIR / "var" / "celery"))
_celery_dir = Path(SCHOOLCHAT_CELERY_DIR)
if not REDIS_URL:
    CELERY_BROKER_TRANSPORT = "schoolchat.broker:Transport"
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        "data_folder_in": str(_celery_dir / "queue"),
        "data_folder_out": str(_celery_dir / "queue"),
        "processed_folder": str(_celery_dir / "processed"),
        "control_folder": str(_celery_dir / "control"),
    }
    for _folder in ("queue", "processed", "control"):
        (_celery_dir / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BEAT_SCHEDULE_FILENAME = str(_celery_dir / "beat-schedule")
    # The console e-mail backend prints from the worker straight to the terminal (a digest reads
    # as a mail there, not as a log line per line of it).
    CELERY_WORKER_REDIRECT_STDOUTS = False
# Tasks go to the broker and a worker runs them. Only the test suite runs them in-process (its
# fixtures, and the environment of its servers).
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
# A task is taken off the queue only once it has finished: a worker killed mid-task (SIGKILL, a
# container stopped, the machine lost) leaves it to the next worker, which runs it again from the
# start. Every task is written to be run again safely (retention picks up after the last
# committed batch, an export is rebuilt unless done, a backup is made anew). A pool process that
# dies under a running task hands it back at once; a whole worker that dies leaves it with
# Redis, which gives it out again after the visibility timeout (SCHOOLCHAT_CELERY_VISIBILITY_-
# TIMEOUT seconds, default an hour: longer than the longest task, or that task runs twice at
# once).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
SCHOOLCHAT_CELERY_VISIBILITY_TIMEOUT = env_int("SCHOOLCHAT_CELERY_VISIBILITY_TIMEOUT", 3600)
if REDIS_URL:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": SCHOOLCHAT_CELERY_VISIBILITY_TIMEOUT}
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {}
# Accounts: apply due leave dates daily (process_leavers is idempotent).
CELERY_BEAT_SCHEDULE["accounts-leavers"] = {"task": "accounts.process_leavers",
                                            "schedule": 86400.0}
# The archive: seal every chain's head hourly; apply retention daily (small batches).
CELERY_BEAT_SCHEDULE["archive-seal"] = {"task": "archive.seal", "schedule": 3600.0}
CELERY_BEAT_SCHEDULE["archive-retention"] = {"task": "archive.apply_retention",
                                             "schedule": 86400.0}
CELERY_BEAT_SCHEDULE["archive-expire-exports"] = {"task": "archive.expire_exports",
                                                  "schedule": 3600.0}
# Messaging: e-mail digests of unread messages (each run skips people in quiet hours).
CELERY_BEAT_SCHEDULE["messaging-digests"] = {"task": "messaging.send_digests",
                                             "schedule": 3600.0}
# Records: the nightly encrypted backup (records/backup.py), while the school sleeps.
CELERY_BEAT_SCHEDULE["records-backup"] = {"task": "records.backup",
                                          "schedule": crontab(hour=2, minute=30)}
# Records: anonymise leavers whose school keeps their accounts no longer (records/erasure.py).
CELERY_BEAT_SCHEDULE["records-anonymise-leavers"] = {"task": "records.anonymise_leavers",
                                                     "schedule": crontab(hour=3, minute=15)}
# Polls: archive the counts of polls whose closing time passed.
CELERY_BEAT_SCHEDULE["polls-count-closed"] = {"task": "polls.count_closed", "schedule": 60.0}
# Meetings: remind the families of tomorrow's parents' evening bookings (each booking once).
CELERY_BEAT_SCHEDULE["meetings-reminders"] = {"task": "meetings.send_reminders",
                                              "schedule": 3600.0}
CELERY_BEAT_SCHEDULE["messaging-scheduled"] = {"task": "messaging.send_scheduled",
                                               "schedule": 60.0}
# Every job at least this often (seconds), when set: to watch digests and scheduled posts
# happen without waiting an hour, and for the tests of the worker. Unset in production.
SCHOOLCHAT_BEAT_MAX_SECONDS = env_int("SCHOOLCHAT_BEAT_MAX_SECONDS", 0)
if SCHOOLCHAT_BEAT_MAX_SECONDS > 0:
    for _entry in CELERY_BEAT_SCHEDULE.values():
        _every = _entry["schedule"]
        if isinstance(_every, float):
            _entry["schedule"] = min(_every, float(SCHOOLCHAT_BEAT_MAX_SECONDS))

# Notifications: Web Push (docs/notifications.md). The VAPID key pair identifies this server to
# the browsers' push services: the private key itself (PEM) or a file holding it, made by
# `manage.py vapid_keys` (`make serve` and the container's start do that when it is missing).
SCHOOLCHAT_VAPID_PRIVATE_KEY = env_str("SCHOOLCHAT_VAPID_PRIVATE_KEY")
SCHOOLCHAT_VAPID_PRIVATE_KEY_FILE = env_str(
    "SCHOOLCHAT_VAPID_PRIVATE_KEY_FILE", str(BASE_DIR / "var" / "vapid_private.pem"))
# Whom a push service may write to about this server's pushes (a mailto: address).
SCHOOLCHAT_VAPID_SUBJECT = env_str("SCHOOLCHAT_VAPID_SUBJECT", "mailto:admin@localhost")
# The push services a browser's subscription may point at (scheme://host[:port], "*." for
# subdomains): the server POSTs to these and nowhere else.
SCHOOLCHAT_PUSH_SERVICES = env_list("SCHOOLCHAT_PUSH_SERVICES", default=[
    "https://fcm.googleapis.com", "https://*.push.services.mozilla.com",
    "https://web.push.apple.com", "https://*.notify.windows.com",
])
# Seconds a push service keeps an undelivered notification (the TTL header).
SCHOOLCHAT_PUSH_TTL = env_int("SCHOOLCHAT_PUSH_TTL", 12 * 3600)
CELERY_TASK_ROUTES = {"notifications.*": {"queue": "push"}}

# --- Auth ----------------------------------------------------------------------------------
# django-axes first, so a paused (address, account) pair is refused before any password check.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # The username; then an e-mail address that exactly one account has (accounts.backends).
    "django.contrib.auth.backends.ModelBackend",
    "accounts.backends.EmailBackend",
    # Names the sessions begun by a school's OpenID provider; it authenticates nothing itself.
    "sso.backends.SchoolAccountBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if env_list("PASSWORD_HASHERS"):
    # Only the test suite's servers set this (to a fast hasher); production keeps Django's.
    PASSWORD_HASHERS = env_list("PASSWORD_HASHERS")
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "messaging:inbox"
LOGOUT_REDIRECT_URL = "login"
ANONYMOUS_USER_NAME = None  # django-guardian: no anonymous user row

# Sign-in and lockout (docs/operations.md). Wrong passwords and wrong second-factor codes
# pause one (client address, username) pair, never the account for everyone.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# The client address: REMOTE_ADDR, or X-Forwarded-For when the peer is a trusted proxy.
AXES_CLIENT_IP_CALLABLE = "accounts.signin.client_ip"
# The account's username whichever of username and e-mail address was typed, so typing the
# other one does not get fresh tries.
AXES_USERNAME_CALLABLE = "accounts.signin.axes_username"
# Addresses or networks (CIDR) of the reverse proxies in front of daphne, whose
# X-Forwarded-For is believed; "unix" for a proxy talking to daphne over a unix socket.
# Empty: X-Forwarded-For is ignored (anyone can write it).
SCHOOLCHAT_TRUSTED_PROXIES = env_list("SCHOOLCHAT_TRUSTED_PROXIES")
# Past this many failures on one account within the cool-off time, from any addresses, each
# further try waits 1, 2, 4... seconds up to the maximum: slows guessing spread over many
# addresses while the owner waits a minute at most, whatever a stranger does.
SCHOOLCHAT_ACCOUNT_BACKOFF_AFTER = env_int("SCHOOLCHAT_ACCOUNT_BACKOFF_AFTER", 10)
SCHOOLCHAT_ACCOUNT_BACKOFF_MAX_SECONDS = env_int("SCHOOLCHAT_ACCOUNT_BACKOFF_MAX_SECONDS", 60)

# Sessions. A session ends after this long without a request: 8 hours, so a school day of
# use with breaks keeps one login, while a browser left signed in on a shared staff-room or
# family computer is signed out by the next morning.
SCHOOLCHAT_SESSION_IDLE_SECONDS = env_int("SCHOOLCHAT_SESSION_IDLE_SECONDS", 8 * 3600)
# However active, a login lasts at most this long (seconds) and then asks for the password
# (and second factor) again.
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 7 * 86400)

# --- Security ------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Load balancers and container health checks probe /healthz, and Prometheus /metrics, over
# plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]
# Who may read /metrics (schoolchat/metrics_view.py): client addresses in these networks
# (CIDR, comma separated), or anyone sending "Authorization: Bearer <token>" with this token.
# Everyone else gets 404.
SCHOOLCHAT_METRICS_NETWORKS = env_list("SCHOOLCHAT_METRICS_NETWORKS",
                                       default=["127.0.0.1/32", "::1/128"])
for _network in SCHOOLCHAT_METRICS_NETWORKS:
    try:
        ipaddress.ip_network(_network, strict=False)
    except ValueError:
        raise ImproperlyConfiguredEnv(
            f"SCHOOLCHAT_METRICS_NETWORKS: {_network!r} is not an address or network"
            " (e.g. 10.0.0.0/8)") from None
SCHOOLCHAT_METRICS_TOKEN = env_str("SCHOOLCHAT_METRICS_TOKEN")
# Calls one API token may make (docs/api.md): a burst at once, then this many a minute; past
# them a call answers 429 with Retry-After. Per token, over every web process (with Redis).
SCHOOLCHAT_API_BURST = env_int("SCHOOLCHAT_API_BURST", 60)
SCHOOLCHAT_API_PER_MINUTE = env_int("SCHOOLCHAT_API_PER_MINUTE", 120)
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    # Off unless switched on: both bind every other site under the domain (and preload is
    # hard to undo), and a school's domain usually hosts sites Schoolchat does not control.
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=False)
    # The deploy check warns about each of them being off; off is the choice made above.
    SILENCED_SYSTEM_CHECKS = [
        *([] if SECURE_HSTS_INCLUDE_SUBDOMAINS else ["security.W005"]),
        *([] if SECURE_HSTS_PRELOAD else ["security.W021"]),
    ]
    # Behind a TLS-terminating proxy that sets X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}

# --- Language and time ---------------------------------------------------------------------
LANGUAGES = [("en", _("English")), ("nl", _("Dutch")), ("ru", _("Russian"))]
# The installation's language: pages for a browser that asks for none of LANGUAGES, and mails
# to people who have not chosen one (User.language).
LANGUAGE_CODE = env_str("LANGUAGE_CODE", "en")
if LANGUAGE_CODE not in dict(LANGUAGES):
    raise ImproperlyConfiguredEnv(
        f"LANGUAGE_CODE={LANGUAGE_CODE!r} is not one of {', '.join(dict(LANGUAGES))}")
# Dates as each language writes them, with a 24-hour time: "8 dec. 2026 22:20".
FORMAT_MODULE_PATH = ["schoolchat.formats"]
LOCALE_PATHS: list[Path] = []  # each app has its catalogues in <app>/locale/ (manage.py messages)
TIME_ZONE = env_str("TIME_ZONE", "Europe/Amsterdam")
USE_I18N = True
USE_TZ = True

# --- Files and mail -------------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "var" / "static")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "schoolchat.staticfiles.StaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage",
    },
}
WHITENOISE_USE_FINDERS = DEBUG
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))

# Backups (docs/operations.md, "Backups and restore"): the age public keys (age1…, comma
# separated) each backup is encrypted to (the private key stays off the server; none set: no
# nightly backup), the folder they go to (where a school mounts its off-site storage), and
# how many rotation keeps: the newest of each of the last N days (d), weeks (w), months (m).
SCHOOLCHAT_BACKUP_RECIPIENTS = env_list("SCHOOLCHAT_BACKUP_RECIPIENTS")
SCHOOLCHAT_BACKUP_DIR = env_str("SCHOOLCHAT_BACKUP_DIR", str(BASE_DIR / "var" / "backups"))
SCHOOLCHAT_BACKUP_KEEP = env_str("SCHOOLCHAT_BACKUP_KEEP", "7d,4w,12m")

# Request bodies (schoolchat/limits.py): refused with 413 from Content-Length before they are
# read, or as soon as a streamed body passes its route's allowance. The largest allowance is an
# attachment upload; deploy/nginx.conf's client_max_body_size matches it.
SCHOOLCHAT_REQUEST_MAX_BYTES = env_int("SCHOOLCHAT_REQUEST_MAX_BYTES", 1024 * 1024)
SCHOOLCHAT_ATTACHMENT_MAX_BYTES = env_int("SCHOOLCHAT_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
# A roster of 2,000 pupils with two guardians each is about 600 kB of CSV.
SCHOOLCHAT_ROSTER_MAX_BYTES = env_int("SCHOOLCHAT_ROSTER_MAX_BYTES", 2 * 1024 * 1024)
# Pixels an uploaded image may have, read from its header before it is decoded. 25 MP covers
# the 12 MP (4032x3024) and 24 MP (6000x4000) photos phones take and costs at most 100 MB to
# decode (RGBA); larger JPEGs are decoded at 1/2, 1/4 or 1/8 scale to fit (messaging/attachments.py).
SCHOOLCHAT_IMAGE_MAX_PIXELS = env_int("SCHOOLCHAT_IMAGE_MAX_PIXELS", 25_000_000)
# Django's own limits: form fields (everything but files) and the size above which an upload
# (and an ASGI request body) is spooled to a temporary file instead of memory.
DATA_UPLOAD_MAX_MEMORY_SIZE = SCHOOLCHAT_REQUEST_MAX_BYTES
FILE_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024

EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
# With the file backend (django.core.mail.backends.filebased.EmailBackend): one file per mail here.
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(BASE_DIR / "var" / "mail"))
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "schoolchat@localhost")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        "daphne": {"level": "WARNING"},
        # Where tasks run in-process (the test suite), a line per task is noise.
        "celery.app.trace": {"level": "WARNING" if CELERY_TASK_ALWAYS_EAGER else "INFO"},
    },
}
