"""Settings for channels_example.

Everything that differs between a laptop, CI and production is read from the
environment here and nowhere else:

- ``REDIS_URL``: set, the asgi_redis layer on that server (the Daphne +
  runworker split); unset, the split ``./run`` is running (``RUN_ENV_FILE``,
  ``.run.env`` by default), or else asgiref's in-memory layer (``runserver``,
  unit tests).
  Several comma-separated URLs shard the layer across those servers.
- ``REDIS_SENTINELS`` (``host:port,host:port,...``) and
  ``REDIS_SENTINEL_SERVICE`` (default ``mymaster``): the layer and channel
  sessions on the master those Sentinels name; ``REDIS_URL`` is then ignored.
  A Sentinel with TLS or a password of its own is named by a URL instead
  (``rediss://user:password@host:26379?ssl_ca_certs=...``), and
  ``REDIS_SENTINEL_MASTER_URL`` (``rediss://user:password@/0?ssl_ca_certs=...``,
  no host) gives the master's TLS, ACL user, password and db (docs/redis.md).
- ``REDIS_CLUSTER`` (``host:port,host:port,...``, any nodes of one Redis
  Cluster; ``rediss://user:password@host:port?...`` URLs for TLS and an ACL
  user): the layer and channel sessions on that cluster; ``REDIS_URL`` and
  the Sentinels are then ignored.
- ``DJANGO_SECRET_KEY``, ``DJANGO_DEBUG``, ``DJANGO_ALLOWED_HOSTS``,
  ``DJANGO_CSRF_TRUSTED_ORIGINS`` (with the scheme: ``https://example.com``),
  ``DATABASE_PATH``: the usual Django knobs. Without ``DJANGO_SECRET_KEY``
  the key is the checkout's own, in ``DJANGO_SECRET_KEY_FILE``.
- ``CHANNEL_CAPACITY``, ``CHANNEL_EXPIRY``: channel layer sizing (see below).
- ``ROOM_HISTORY``: how many messages a chat room keeps for catch-up
  (default: ``channels_kit.history.GroupHistory.size``).
- ``CHANNEL_GROUP_EXPIRY``: seconds a group membership lasts unrefreshed
  (the layer's ``group_expiry``; docs/groups-and-publishing.md).
- ``CHANNEL_LAYER_BACKEND``, ``CHANNEL_SESSION_STORE``: the tuned Redis layer
  (with the inspector's hooks) and Redis channel sessions by default; ``asgi_redis.RedisChannelLayer`` and
  ``database`` give the stock 1.x setup (the bench compares the two).
- ``JWT_SECRET_KEY``, ``JWT_EXPIRATION_SECONDS``, ``JWT_LEEWAY_SECONDS``,
  ``JWT_AUDIENCE``, ``JWT_ISSUER``: JSON Web Tokens (see ``JWT_AUTH`` below).
- ``WS_MAX_FRAME``, ``WS_RATE``, ``WS_BURST``, ``WS_MAX_PER_CLIENT``: the
  per-socket limits daphne enforces (defaults: ``channels_kit.daphne.Limits``);
  ``DAPHNES``: how many daphnes share the port (each takes its share of
  ``WS_MAX_PER_CLIENT``);
  ``WS_OUTAGE_SECONDS``, ``WS_OUTAGE_FRAMES``, ``WS_OUTAGE_BYTES``,
  ``WS_OUTAGE_TOTAL_BYTES``: how long and how much daphne holds while Redis
  is unreachable; ``WS_DRAIN_SECONDS``: how long a stopping daphne may take
  to deliver what it accepted (docs/operations.md).
- ``TERMINAL_HOSTS_FILE``, ``TERMINAL_RECORDINGS_DIR``, ``TERMINAL_IDLE_SECONDS``,
  ``TERMINAL_REATTACH_SECONDS``, ``TERMINAL_MAX_SESSIONS``, and every
  ``TERMINAL_PASSWORD_*``: the web terminal (docs/terminal.md).
- ``WS_TRUSTED_ORIGINS``: public origins (``https://example.com``) a TLS
  proxy in front of daphne serves the pages from (docs/security.md).
- ``LESSONS``: ``1`` routes the classroom ladder under ``/lessons/``
  (consumers/lessons/, docs/teaching.md); off by default, since its broken
  consumers are broken on purpose. ``LESSONS_SLOW_MS``: with it, each
  lesson pauses this long where its race happens (docs/teaching.md).
- ``INSPECTOR_TRACES_DIR``, ``DOCS_URL``: saved inspector traces and where
  their notes link the docs (docs/teaching.md).
- ``LOG_LEVEL``: INFO shows problems; DEBUG adds per-message detail.
- ``STATIC_ROOT``: where ``collectstatic`` puts files for nginx.
"""
import datetime
import os

import django

from channels_kit.connections import sentinel
from channels_kit.operations import run_env, secret_key

BASE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# While ./run runs, it leaves the settings it chose (REDIS_URL, ...) in this
# file, so a command typed in another shell joins that split instead of an
# in-memory layer of its own. Only when REDIS_URL is not set here: a shell
# that names its own Redis means it. An empty RUN_ENV_FILE turns it off.
RUN_ENV_FILE = os.environ.get("RUN_ENV_FILE", os.path.join(BASE_DIR, ".run.env"))
RUN_ENV = {}
if RUN_ENV_FILE and "REDIS_URL" not in os.environ:
    RUN_ENV = run_env.read_live(RUN_ENV_FILE)


def env(name, default):
    return os.environ.get(name, RUN_ENV.get(name, default))


# --- Security: the secret key (docs/security.md) ----------------------------
# DJANGO_SECRET_KEY, or else this checkout's own random key in an ignored
# file (DJANGO_SECRET_KEY_FILE, default .secret_key), made on first use:
# ./run's migrate makes it before any server starts. No usable key is in
# the repository, and a placeholder stops the process before it serves.
SECRET_KEY_FILE = env("DJANGO_SECRET_KEY_FILE", os.path.join(BASE_DIR, ".secret_key"))
SECRET_KEY = secret_key.refuse_known(
    env("DJANGO_SECRET_KEY", None) or secret_key.checkout_key(SECRET_KEY_FILE),
    "DJANGO_SECRET_KEY")
# ---------------------------------------------------------------------------
DEBUG = env("DJANGO_DEBUG", "1") == "1"
# The classroom ladder (consumers/lessons/): its broken consumers leak and
# starve on purpose, so it is never routed unless asked for.
LESSONS = env("LESSONS", "0") == "1"
# A pause the lesson consumers take where their races happen, so a class
# watches each race step by step in the inspector; ignored without LESSONS,
# so no other consumer is ever slowed by it.
LESSONS_SLOW_MS = max(0, int(env("LESSONS_SLOW_MS", "0"))) if LESSONS else 0
ALLOWED_HOSTS = env("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1").split(",")
# Origins (with their scheme, as Django 4.0+ requires: https://example.com)
# whose form posts pass the CSRF check besides the site's own, e.g. the
# public HTTPS name when TLS ends in front of nginx. Django 2.2 wants bare
# hosts, so the 2.2 pins get them without the scheme (docs/upgrading-django.md).
CSRF_TRUSTED_ORIGINS = [o.strip() for o in env("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]
if django.VERSION < (4, 0):
    CSRF_TRUSTED_ORIGINS = [o.partition("://")[2] or o for o in CSRF_TRUSTED_ORIGINS]
# A CSRF refusal on /api/ answers JSON; pages keep Django's own 403 page.
CSRF_FAILURE_VIEW = "channels_example.api.csrf_failure"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels_example",
    # Before "channels", so the kit's runworker (which survives Redis
    # restarts) is the one manage.py finds.
    "channels_kit",
    "channels",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "channels_example.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [os.path.join(BASE_DIR, "templates")],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "channels_example.context_processors.socket_rules",
                "channels_example.context_processors.versions",
            ],
        },
    },
]

WSGI_APPLICATION = "channels_example.wsgi.application"

# SQLite is shared by daphne and every worker process; the long timeout lets
# concurrent writers queue for the lock instead of failing.
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": env("DATABASE_PATH", os.path.join(BASE_DIR, "db.sqlite3")),
        "OPTIONS": {"timeout": 30},
    }
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
if django.VERSION < (4, 0):
    # Localized formatting: the default from Django 4.0, where the setting went away.
    USE_L10N = True
USE_TZ = True
# The key type the site's tables were made with; BigAutoField would need a migration.
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

STATIC_URL = "/static/"
# Where collectstatic puts files for nginx to serve (deploy/).
STATIC_ROOT = env("STATIC_ROOT", os.path.join(BASE_DIR, "static"))
# Django's standard four: not too like the username, at least 8 characters,
# not a well-known password, not all digits. The sign-up page lists them.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

# --- Channel layer ---------------------------------------------------------
# asgi_redis defaults to a capacity of 100 messages per channel. Every socket
# served by one daphne shares that daphne's process-local response list, so a
# busy room overflows it and Group.send drops messages without a word. The
# capacities below are sized for rooms of hundreds of members.
REDIS_URL = env("REDIS_URL", None)
# asgi_redis shards across every server in "hosts": each channel and group
# lives on one of them, chosen by a consistent hash of its name, so every
# daphne and worker must list the same servers in the same order.
REDIS_HOSTS = [url.strip() for url in (REDIS_URL or "").split(",") if url.strip()]
# With Sentinels named, the layer and channel sessions use the master they
# name for the service (channels_kit/connections/sentinel.py), and REDIS_URL is ignored.
REDIS_SENTINELS = [a.strip() for a in env("REDIS_SENTINELS", "").split(",") if a.strip()]
if REDIS_SENTINELS:
    REDIS_HOSTS = [sentinel.url(REDIS_SENTINELS, env("REDIS_SENTINEL_SERVICE", "mymaster"),
                                env("REDIS_SENTINEL_MASTER_URL", None))]
    REDIS_URL = REDIS_HOSTS[0]
# With cluster nodes named, the layer spreads its keys over the cluster's
# masters by hash tags (channels_kit/layer/placement.py); the nodes listed
# are only where it first asks for the cluster's map.
REDIS_CLUSTER = [a.strip() for a in env("REDIS_CLUSTER", "").split(",") if a.strip()]
if REDIS_CLUSTER:
    REDIS_HOSTS = [node if "://" in node else "redis://%s/0" % node for node in REDIS_CLUSTER]
    REDIS_URL = REDIS_HOSTS[0]
CHANNEL_CAPACITY = int(env("CHANNEL_CAPACITY", "1000"))
CHANNEL_EXPIRY = int(env("CHANNEL_EXPIRY", "60"))
# Messages each chat room keeps for pages that load or reconnect; None keeps
# channels_kit.history.GroupHistory's default (it caps what is asked).
ROOM_HISTORY = int(env("ROOM_HISTORY", "0")) or None
# Unset: asgi_redis's own default, which is the one place it lives.
CHANNEL_GROUP_EXPIRY = env("CHANNEL_GROUP_EXPIRY", "")
# asgi_redis with one-trip sends, pipelined group sends, a persistent
# connection for daphne's twisted mode, and counted drops (docs/performance.md),
# plus the hooks /inspector/ shows (docs/architecture.md);
# channels_kit.layer.RedisChannelLayer is the same layer without them.
REDIS_CHANNEL_LAYER = env("CHANNEL_LAYER_BACKEND",
                          "channels_kit.inspector.layer.InspectedRedisChannelLayer")

if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": REDIS_CHANNEL_LAYER,
            "ROUTING": "routing.channel_routing",
            "CONFIG": {
                "hosts": REDIS_HOSTS,
                **({"cluster": True} if REDIS_CLUSTER else {}),
                "capacity": CHANNEL_CAPACITY,
                "expiry": CHANNEL_EXPIRY,
                "channel_capacity": {
                    "daphne.response*": CHANNEL_CAPACITY * 100,
                },
                **({"group_expiry": int(CHANNEL_GROUP_EXPIRY)} if CHANNEL_GROUP_EXPIRY else {}),
            },
        }
    }
    # Channel sessions (and so enforce_ordering's counter) on the same Redis,
    # the first one when the layer is sharded; HTTP sessions stay in the database.
    if env("CHANNEL_SESSION_STORE", "redis") == "redis":
        CHANNEL_SESSION_ENGINE = "channels_kit.channel_sessions"
        CHANNEL_SESSION_REDIS_URL = REDIS_HOSTS[0]
        CHANNEL_SESSION_REDIS_CLUSTER = bool(REDIS_CLUSTER)
else:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "asgiref.inmemory.ChannelLayer",
            "ROUTING": "routing.channel_routing",
            "CONFIG": {"capacity": CHANNEL_CAPACITY, "expiry": CHANNEL_EXPIRY},
        }
    }

# --- JSON Web Tokens (docs/jwt.md) -----------------------------------------
# Same key names as django-rest-framework-jwt's JWT_AUTH, so a deployment
# that issued tokens with it can keep its settings and its users' tokens.
# channels_kit.jwt.tokens fills in drf-jwt's defaults for missing keys.
JWT_AUTH = {
    "JWT_SECRET_KEY": secret_key.refuse_known(env("JWT_SECRET_KEY", SECRET_KEY), "JWT_SECRET_KEY"),
    "JWT_ALGORITHM": "HS256",
    "JWT_EXPIRATION_DELTA": datetime.timedelta(seconds=int(env("JWT_EXPIRATION_SECONDS", "300"))),
    "JWT_LEEWAY": int(env("JWT_LEEWAY_SECONDS", "0")),
    "JWT_AUDIENCE": env("JWT_AUDIENCE", None),
    "JWT_ISSUER": env("JWT_ISSUER", None),
    "JWT_ALLOW_REFRESH": True,
    "JWT_REFRESH_EXPIRATION_DELTA": datetime.timedelta(days=7),
}

# Daphne's limits: per socket (frame size, rate, sockets per address) and
# while Redis is unreachable (how long, how much it holds). Every default,
# and what it bounds, is on channels_kit.daphne.Limits; only what the
# environment sets goes over it here, under the Limits attribute's name.
WEBSOCKET_LIMITS = {
    name: cast(env(variable, None))
    for name, (variable, cast) in {
        "max_frame": ("WS_MAX_FRAME", int),
        "rate": ("WS_RATE", float),
        "burst": ("WS_BURST", int),
        "max_per_client": ("WS_MAX_PER_CLIENT", int),
        "outage_seconds": ("WS_OUTAGE_SECONDS", float),
        "outage_frames": ("WS_OUTAGE_FRAMES", int),
        "outage_bytes": ("WS_OUTAGE_BYTES", int),
        "outage_total_bytes": ("WS_OUTAGE_TOTAL_BYTES", int),
        "drain_seconds": ("WS_DRAIN_SECONDS", float),
    }.items()
    if env(variable, None) is not None
}
# DAPHNES daphnes share the port (./run's DAPHNES, channels_kit/operations/reuseport.py):
# each counts only its own sockets, so each allows its share of the
# per-address limit and the sum stays within it (docs/performance.md).
WEBSOCKET_LIMITS["daphnes"] = int(env("DAPHNES", "1"))
# When Redis comes back empty, daphne sends each open socket's connect again
# so it rejoins its groups; a terminal's connect would open a second shell,
# so its sockets are closed with 1012 instead and the page reattaches.
WEBSOCKET_LIMITS["reconnect_paths"] = ["/terminal/"]

# --- Security: WebSocket Origin (docs/security.md) -------------------------
# Every connect checks Origin on scheme, host and port against the
# handshake's own Host (channels_kit.origin). Behind a proxy that ends TLS,
# daphne sees ws:// while browsers send https://...: list those public
# origins here (comma-separated in WS_TRUSTED_ORIGINS).
WEBSOCKET_TRUSTED_ORIGINS = [o.strip() for o in env("WS_TRUSTED_ORIGINS", "").split(",") if o.strip()]
# The inspector never shows the frames of these paths: a terminal's frames
# are keystrokes, passwords typed at a prompt among them.
INSPECTOR_PRIVATE_PATHS = ["/terminal/"]
# Inspector traces (manage.py recordtrace), replayed at /inspector/traces/
# by staff; saved redacted. var/ is ignored by git.
INSPECTOR_TRACES_DIR = env("INSPECTOR_TRACES_DIR", os.path.join(BASE_DIR, "var", "traces"))
# Where a replayed trace's notes link the docs (a clone's docs/ on a code
# host, ending in "/"); unset, the notes name the file and its heading.
DOCS_URL = env("DOCS_URL", "")

# --- Security: password guessing (docs/security.md) -------------------------
# Failed passwords per account and per address within the window, counted in
# the layer's Redis (channels_kit/http/login_throttle.py); at the limit, logins for
# it are refused until the window ends: 429 + Retry-After, a message on the pages.
LOGIN_THROTTLE = {
    "account_limit": int(env("LOGIN_THROTTLE_ACCOUNT", "5")),
    "address_limit": int(env("LOGIN_THROTTLE_ADDRESS", "30")),
    "window_seconds": int(env("LOGIN_THROTTLE_SECONDS", "900")),
    "pages": ["/accounts/login/", "/admin/login/"],
}
MIDDLEWARE = MIDDLEWARE + ["channels_kit.http.login_throttle.LoginThrottleMiddleware"]

# --- Security: mail (docs/security.md) --------------------------------------
# Password reset mails go to the console (the worker's log) in development;
# production names its backend (DJANGO_EMAIL_BACKEND, EMAIL_HOST, ...).
EMAIL_BACKEND = env("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
                    if DEBUG else "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", "localhost")
DEFAULT_FROM_EMAIL = env("DJANGO_DEFAULT_FROM_EMAIL", "webmaster@localhost")

# --- Security: response headers and HTTPS (docs/security.md) ----------------
# Always: nosniff, a Referrer-Policy and a CSP the pages satisfy (their
# scripts are files; xterm.js writes <style> elements, hence 'unsafe-inline'
# for styles only), and no framing. With HTTPS (DJANGO_HTTPS; on by default
# when DEBUG is off): Secure cookies, HSTS, and plain HTTP redirected; the
# proxy in front (deploy/) ends TLS and says so in X-Forwarded-Proto.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_BROWSER_XSS_FILTER = True  # Django 2.2's X-XSS-Protection; later Djangos ignore it
X_FRAME_OPTIONS = "DENY"
SECURITY_HEADERS = {
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": "; ".join([
        "default-src 'self'", "script-src 'self'", "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:", "connect-src 'self'", "object-src 'none'",
        "base-uri 'self'", "form-action 'self'", "frame-ancestors 'none'",
    ]),
}
MIDDLEWARE = MIDDLEWARE + ["channels_kit.http.security_headers.SecurityHeadersMiddleware"]
HTTPS = env("DJANGO_HTTPS", "0" if DEBUG else "1") == "1"
if HTTPS:
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(env("DJANGO_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env("DJANGO_HSTS_SUBDOMAINS", "1") == "1"
    SECURE_HSTS_PRELOAD = env("DJANGO_HSTS_PRELOAD", "1") == "1"
    # /health/ is probed over plain HTTP by load balancers and the deploy units.
    SECURE_REDIRECT_EXEMPT = [r"^health/$", r"^metrics$"]

# --- Web terminal (docs/terminal.md) ----------------------------------------
# The hosts a terminal may open (TOML); unset, the terminal has no hosts.
TERMINAL_HOSTS_FILE = env("TERMINAL_HOSTS_FILE", None)
# asciicast recordings and audit.log; var/ is ignored by git.
TERMINAL_RECORDINGS_DIR = env("TERMINAL_RECORDINGS_DIR", os.path.join(BASE_DIR, "var", "recordings"))
TERMINAL_IDLE_SECONDS = int(env("TERMINAL_IDLE_SECONDS", "900"))
TERMINAL_REATTACH_SECONDS = int(env("TERMINAL_REATTACH_SECONDS", "60"))
TERMINAL_MAX_SESSIONS = int(env("TERMINAL_MAX_SESSIONS", "5"))
TERMINAL_CONNECT_SECONDS = 10
TERMINAL_KEEPALIVE_SECONDS = 30
# The passwords a hosts file may name with password_env: only these
# variables, so the file cannot turn any other secret into an SSH password.
TERMINAL_PASSWORDS = {k: v for k, v in os.environ.items() if k.startswith("TERMINAL_PASSWORD_")}

# --- Metrics (docs/operations.md) ------------------------------------------
# GET /metrics answers loopback, these addresses (comma-separated) and the
# bearer of METRICS_TOKEN; anyone else gets 403. Every process of the host
# writes its counters to PROMETHEUS_MULTIPROC_DIR (./run makes a fresh one).
METRICS_ALLOWED_IPS = [ip.strip() for ip in env("METRICS_ALLOWED_IPS", "").split(",") if ip.strip()]
METRICS_TOKEN = env("METRICS_TOKEN", "")
METRICS_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")

# INFO and above: problems (refused sockets, Redis outages, client errors).
# DEBUG: one line per message handled.
LOG_LEVEL = env("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [pid %(process)d] %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        # Not propagated: daphne's CLI also configures the root logger, and
        # each line should appear once.
        "channels_example": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "channels_kit": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "consumers": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
    },
}
