"""Ordering gaps: a socket's messages stuck behind one that a killed worker took with it.

``enforce_ordering`` runs a socket's messages strictly in turn: message N+1
waits in the socket's wait channel until N's consumer has run. A worker
killed outright (SIGKILL, the OOM killer, a crash) loses the messages it had
taken from Redis, so N never runs; stock Channels then parks every later
message of that socket until it expires. The socket goes silent and its
client is never told why.

The kit closes that gap in two parts:

- every batching worker beats a heartbeat in Redis from a thread of its
  own, so a worker stuck in a slow consumer keeps beating and only a dead
  one falls silent (``Heartbeat``);
- between batches, each worker looks for sockets whose parked messages made
  no progress for ``GapSweeper.stall_seconds`` (the layer keeps that record). Only
  after a worker has been lost does it act on one (``GapSweeper``): the
  client gets a ``message-lost`` frame saying how many messages were lost,
  the socket's session moves on to the first parked message, and the
  parked messages go back to their channels and run in order.

While no worker has been lost, nothing is skipped: a consumer that takes
long still holds its socket's later messages back, as in stock Channels.
"""
import contextlib
import logging
import os
import socket
import threading
import time

import redis
from channels.sessions import session_for_reply_channel

from channels_kit.client_errors import ClientError
from channels_kit.layer.core import WAIT_PREFIX
from channels_kit.layer.roles import KeepsOrderingRecords, layer_that
from channels_kit.metrics import families as metrics
from channels_kit.connections.redis_errors import REDIS_DOWN

logger = logging.getLogger("channels_kit.worker.ordering_gaps")

# enforce_ordering's session key for the socket's next message.
NEXT_ORDER = "__channels_next_order"


@contextlib.contextmanager
def resolving_gaps(layer):
    """For a worker's loop: beat while it runs, and give it the sweep to call between batches.

    A layer without the kit's records (in-memory, stock asgi_redis) gets a
    sweep that does nothing.
    """
    layer = layer_that(KeepsOrderingRecords, layer)
    if layer is None:
        yield lambda: None
        return
    heartbeat = Heartbeat(layer)
    heartbeat.start()
    try:
        yield GapSweeper(layer).maybe_sweep
    finally:
        heartbeat.stop()


def reply_channel_of(wait_channel):
    """The socket's reply channel (``wait_channel_name`` turned its "!" into "?")."""
    return wait_channel[len(WAIT_PREFIX):].replace("?", "!")


class Heartbeat(threading.Thread):
    """Beats for one worker process until stopped; says goodbye when it stops."""

    # Seconds between beats.
    interval = 0.5

    def __init__(self, layer):
        super().__init__(name="heartbeat", daemon=True)
        # The kit layer the beats go to.
        self.layer = layer
        # Its own client: see RedisChannelLayer.private_client.
        self.client = layer.private_client()
        # This process among all workers on the layer.
        self.worker_id = "%s:%d:%s" % (socket.gethostname(), os.getpid(), os.urandom(3).hex())
        # Set to end the beats.
        self.stopped = threading.Event()

    def run(self):
        while not self.stopped.is_set():
            try:
                self.layer.worker_beat(self.worker_id, self.client)
                metrics.WORKERS_BEATING.set(1)
            except redis.exceptions.RedisError:
                # Redis away or failing over: the worker's own loop reports it
                metrics.WORKERS_BEATING.set(0)
            self.stopped.wait(self.interval)

    def stop(self):
        self.stopped.set()
        metrics.WORKERS_BEATING.set(0)
        try:
            self.layer.worker_gone(self.worker_id, self.client)
        except redis.exceptions.RedisError:
            pass  # its beat goes stale instead, and it counts as lost


class GapSweeper:
    """Finds ordering gaps left by a lost worker and lets their sockets go on (see the module docstring)."""

    # How often a worker looks (seconds).
    interval = 0.5
    # A worker silent this long was killed (seconds): several beats missed.
    silent_after = 3.0
    # A socket whose parked messages made no progress this long is stuck (seconds).
    stall_seconds = 2.0

    def __init__(self, layer):
        # The kit layer: it keeps the parked set and the beats.
        self.layer = layer
        # When the next look is due (time.monotonic()).
        self.due = 0.0

    def maybe_sweep(self):
        """Look for gaps if it is time; called by the worker between batches."""
        now = time.monotonic()
        if now < self.due:
            return
        self.due = now + self.interval
        self.sweep()

    def sweep(self):
        lost_at = self.layer.last_worker_lost(self.silent_after, remember=self.window())
        recent = lost_at is not None and time.time() - lost_at < self.window()
        for wait_channel in self.layer.stalled_wait_channels(self.stall_seconds, claim=recent):
            try:
                self.resolve(wait_channel)
            except REDIS_DOWN:
                raise  # the worker waits for Redis; the socket stalls again and is found again
            except Exception:
                logger.exception("Could not resolve the ordering gap of %s", wait_channel)

    def window(self):
        """How long after a loss a stall may still be its doing: a parked message's lifetime."""
        return self.layer.expiry + self.stall_seconds

    def resolve(self, wait_channel):
        """Skip the orders nobody will run, tell the client, and run what was parked."""
        orders = [order for order in self.layer.parked_orders(wait_channel) if order is not None]
        if not orders:
            return
        reply_channel = reply_channel_of(wait_channel)
        session = session_for_reply_channel(reply_channel)
        expected = session.get(NEXT_ORDER, 0)
        first = min(orders)
        if first > expected:
            session[NEXT_ORDER] = first
            session.save()
            self.tell(reply_channel, first - expected)
            metrics.MESSAGES_LOST.inc(first - expected)
            logger.warning("Socket %s: %d message(s) lost with a stopped worker; running the %d "
                           "parked behind them", reply_channel, first - expected, len(orders))
        self.layer.requeue_parked(wait_channel)

    def tell(self, reply_channel, count):
        error = ClientError("message-lost",
                            "%d message(s) you sent were lost when a server process stopped; "
                            "the ones you sent after them were handled." % count)
        self.layer.send(reply_channel, error.reply())
