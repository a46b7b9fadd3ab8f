"""A stock Channels 1.x project, as the getting-started guide sets one up, on channels_kit.

Its changes from the guide are the kit's steps as docs/using-the-kit.md
writes them (its snippets are copied here verbatim, and a unit test keeps
them so): "channels_kit" before "channels", the kit's layer, channel
sessions in Redis, the kit's logging, and asgi.py's one call. The consumers
are left as the guide has them (no Origin check on connect), so
``manage.py check --tag channels`` has something to say about them.
"""
import os

BASE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "stock-project-only-runs-in-tests")
DEBUG = True
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "channels_kit",
    "channels",
]

ROOT_URLCONF = "echosite.urls"

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("DATABASE_PATH", os.path.join(BASE_DIR, "db.sqlite3")),
    }
}

USE_TZ = True

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_kit.layer.RedisChannelLayer",
        "ROUTING": "echosite.routing.channel_routing",
        "CONFIG": {
            "hosts": [os.environ.get("REDIS_URL", "redis://localhost:6379/0")],
            "capacity": 1000,
            "channel_capacity": {"daphne.response*": 100000},
        },
    },
}

CHANNEL_SESSION_ENGINE = "channels_kit.channel_sessions"
CHANNEL_SESSION_REDIS_URL = os.environ.get("REDIS_URL", "redis://localhost:6379/0")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "stamped": {"format": "%(asctime)s %(levelname)s %(name)s [pid %(process)d] %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "stamped"}},
    "loggers": {"channels_kit": {"handlers": ["console"], "level": "INFO", "propagate": False}},
}
