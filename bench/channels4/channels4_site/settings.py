"""Settings for the Channels 4 comparison site: just enough Django to serve WebSockets.

No apps, no database, no middleware: the bench only opens sockets. The
channel layer is channels_redis with its default capacity and expiry, so
the figures are those of Channels 4 as installed, not of a tuned copy.
"""
import os

SECRET_KEY = "bench-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
INSTALLED_APPS = []
DATABASES = {}
ROOT_URLCONF = "channels4_site.urls"
USE_TZ = True

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")]},
    },
}
