"""A stock Channels 1.x project, as the getting-started guide sets one up, on channels_kit.

Its only changes from the guide are the kit's steps (docs/using-the-kit.md): "channels_kit"
before "channels", and the kit's layer as the backend. The rest (default
capacity, no Origin check on connect) is left as the guide has it, so
``manage.py check --tag channels`` has something to say about it.
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
        "CONFIG": {
            "hosts": [os.environ.get("REDIS_URL", "redis://localhost:6379")],
        },
        "ROUTING": "echosite.routing.channel_routing",
    },
}
