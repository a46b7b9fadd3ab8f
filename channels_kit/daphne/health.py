"""``GET /health/``: is this split able to serve? For load balancers and monitors.

In Channels 1.x even a plain HTTP request travels daphne -> Redis -> worker ->
Redis -> daphne, so a 200 from ``health`` proves the whole path: daphne, the
layer, a free worker and the database. The view itself checks the layer and
the database and answers 503 with the failing part named.

When Redis is down the request never reaches a worker: daphne cannot even
queue it, and stock daphne answers 500 with a traceback in its log. For that
one case ``AnswersHealthWhileRedisIsDown`` (wrapped around daphne's layer in
asgi.py) probes Redis before forwarding a health request and, if Redis does
not answer, hands daphne a 503 naming Redis locally instead of through
Redis. In its polling mode daphne waits 5 s after a Redis error before it
polls again, so that answer can take up to about 5 s. Daphne then reports
the finished request on ``http.disconnect``;
that notice only matters to long-polling consumers and is dropped while
Redis is down (raising there would abort the response half-written). If no
worker runs, daphne answers 503 after its HTTP timeout (120 s).
"""
import json

from channels import DEFAULT_CHANNEL_LAYER, channel_layers
from django.db import DatabaseError, connection
from django.http import JsonResponse
from twisted.internet import defer, threads
from twisted.python import failure

from channels_kit.connections.redis_errors import REDIS_DOWN


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
    """Daphne's layer, except that a health request Redis cannot take is answered here.

    A health request is only forwarded once a probe (in a thread, so
    daphne's reactor never waits on it) has reached every Redis shard; if the
    probe fails, the 503 is handed to daphne through whichever receive it
    uses: ``receive`` (its polling mode) or ``receive_twisted`` (its native
    mode, where a layer may send without waiting and so never raise here).
    """

    def __init__(self, layer, path="/health/"):
        self.layer = layer
        self.path = path     # where urls.py serves the ``health`` view
        self.local_replies = []
        self.inner = None    # the layer's receive_twisted call under way, if any
        self.waiter = None   # the Deferred daphne is waiting on, if any
        self.early = []      # results of that call that no one waited for yet

    def __getattr__(self, name):
        return getattr(self.layer, name)

    def send(self, channel, message):
        if channel == "http.request" and message.get("path") == self.path:
            probe = threads.deferToThread(self.layer.global_statistics)
            probe.addCallbacks(lambda _: self.forward(channel, message),
                               lambda failure: self.answer_down(message, failure))
            return None
        try:
            return self.layer.send(channel, message)
        except REDIS_DOWN:
            if channel == "http.disconnect":
                return  # advisory (long-polling only); lost, as on a full channel
            raise

    def forward(self, channel, message):
        try:
            self.layer.send(channel, message)
        except REDIS_DOWN as error:
            self.answer(message, error)
        except self.layer.ChannelFull:
            self.answer(message, None)

    def answer_down(self, message, failure):
        failure.trap(*REDIS_DOWN)
        self.answer(message, failure.value)

    def answer(self, message, error):
        """Queue the 503 for daphne's next receive, or hand it to the one waiting."""
        body = {"redis": describe(error) if error else "error: request queue full",
                "db": "unknown (no worker reachable)"}
        self.local_replies.append((message["reply_channel"], {
            "status": 503,
            "headers": [(b"Content-Type", b"application/json")],
            "content": json.dumps(body).encode("utf8"),
        }))
        if self.waiter is not None:
            waiter, self.waiter = self.waiter, None
            waiter.callback(self.local_replies.pop())

    def local_reply(self, channels):
        for reply in self.local_replies:
            if any(reply[0].startswith(channel) for channel in channels):
                self.local_replies.remove(reply)
                return reply
        return None

    def receive(self, channels, block=False):
        return self.local_reply(channels) or self.layer.receive(channels, block=block)

    def receive_twisted(self, channels):
        """Whichever comes first: a local reply or the layer's own receive.

        At most one layer call is under way at a time; a result that arrives
        after a local reply was handed over is kept for the next call.
        """
        ready = self.local_reply(channels) or (self.early.pop(0) if self.early else None)
        if ready is not None:
            return defer.succeed(ready) if not isinstance(ready, failure.Failure) \
                else defer.fail(ready)
        # The waiter exists before the layer is called: its Deferred may have
        # fired already (a message buffered in memory) when it returns.
        waiter = self.waiter = defer.Deferred()
        if self.inner is None:
            self.inner = self.layer.receive_twisted(channels)
            self.inner.addBoth(self.inner_finished)
        return waiter

    def inner_finished(self, result):
        self.inner = None
        if self.waiter is not None:
            waiter, self.waiter = self.waiter, None
            waiter.callback(result)
        else:
            self.early.append(result)
