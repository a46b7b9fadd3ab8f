"""``GET /health/``: is this split able to serve? For load balancers and monitors.

In Channels 1.x even a plain HTTP request travels daphne -> Redis -> worker ->
Redis -> daphne, so a 200 from ``health`` proves the whole path: daphne, the
layer, a free worker and the database. The view itself checks the layer and
the database and answers 503 with the failing part named.

When Redis is down the request never reaches a worker: daphne cannot even
queue it, and stock daphne answers 500 with a traceback in its log. For that
one case ``AnswersHealthWhileRedisIsDown`` (wrapped around daphne's layer in
asgi.py) answers the health request itself with a 503 naming Redis, by
handing daphne the response locally instead of through Redis. Daphne polls
its layer every few seconds after a Redis error, so that answer can take up
to about 5 s. Daphne then reports the finished request on ``http.disconnect``;
that notice only matters to long-polling consumers and is dropped while
Redis is down (raising there would abort the response half-written). If no
worker runs, daphne answers 503 after its HTTP timeout (120 s).
"""
import json

from channels import DEFAULT_CHANNEL_LAYER, channel_layers
from django.db import DatabaseError, connection
from django.http import JsonResponse
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

HEALTH_PATH = "/health/"
REDIS_DOWN = (RedisConnectionError, RedisTimeoutError)


def describe(error):
    return "error: %s: %s" % (type(error).__name__, error)


def redis_status():
    layer = channel_layers[DEFAULT_CHANNEL_LAYER]
    if "statistics" not in layer.extensions:
        return "not used (in-memory layer)"
    try:
        layer.global_statistics()  # reads every shard
    except REDIS_DOWN as error:
        return describe(error)
    return "ok"


def db_status():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM django_migrations")
    except DatabaseError as error:
        return describe(error)
    return "ok"


def health(request):
    report = {"redis": redis_status(), "db": db_status()}
    healthy = all(value == "ok" or value.startswith("not used") for value in report.values())
    return JsonResponse(report, status=200 if healthy else 503)


class AnswersHealthWhileRedisIsDown:
    """Daphne's layer, except that a health request Redis cannot take is answered here."""

    def __init__(self, layer):
        self.layer = layer
        self.local_replies = []

    def __getattr__(self, name):
        return getattr(self.layer, name)

    def send(self, channel, message):
        try:
            return self.layer.send(channel, message)
        except REDIS_DOWN as error:
            if channel == "http.disconnect":
                return  # advisory (long-polling only); lost, as on a full channel
            if channel != "http.request" or message.get("path") != HEALTH_PATH:
                raise
            body = {"redis": describe(error), "db": "unknown (no worker reachable)"}
            self.local_replies.append((message["reply_channel"], {
                "status": 503,
                "headers": [(b"Content-Type", b"application/json")],
                "content": json.dumps(body).encode("utf8"),
            }))

    def receive(self, channels, block=False):
        for reply in self.local_replies:
            if any(reply[0].startswith(channel) for channel in channels):
                self.local_replies.remove(reply)
                return reply
        return self.layer.receive(channels, block=block)
