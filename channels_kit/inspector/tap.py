"""One process's side of the inspector: is anyone watching, and its events on their way to Redis.

The message path must not pay for an inspector nobody has open, and must
never wait for one that is open. So every process (daphne, each worker) has
one ``Tap`` with a background thread that

- once every ``poll_seconds`` asks Redis whether any inspector socket is
  registered (one pipelined ZREMRANGEBYSCORE + EXISTS; stale registrations,
  whose daphne stopped refreshing them, are swept on the way) and stores the
  answer in ``watching``: the layer's hooks read that one attribute and do
  nothing else while it is False;
- while watching, every ``ship_seconds`` moves the events the hooks queued
  into a Redis stream, pipelined, trimmed to about ``stream_maxlen`` entries.

A hook only appends to an in-process deque (with a shallow copy of the
message: redaction and JSON happen on the thread, off the message path).
When Redis or the thread falls behind and the deque holds ``queue_max``
events, further events are dropped on the spot; each event carries a
per-thread sequence number, so the relay sees the gap and tells the
inspector how many it lost.
"""
import collections
import inspect
import itertools
import json
import logging
import os
import threading
import time

from channels.message import Message
from channels.utils import name_that_thing

from channels_kit.inspector.redaction import redacted_event
from channels_kit.connections.redis_errors import REDIS_DOWN

logger = logging.getLogger(__name__)


class RunState(threading.local):
    """The current thread's inspector state (a worker runs one consumer per thread at a time)."""

    # True while this thread's layer operations belong to the inspector's
    # own traffic (its socket's consumers, the relay): never shown.
    quiet = False
    # A worker's receive event, held until its consumer returns so it can
    # name the consumer and its run time; events the consumer emits
    # meanwhile wait in ``held`` so they ship after it.
    pending = None
    held = None
    started = None
    received = None  # (channel, message) of the pending event, to name its consumer
    # The message last taken from an enforce_ordering wait channel: sending
    # it again is a requeue.
    from_wait = None
    # The member list send_group read, and the members it found full.
    members = None
    full = None
    # This thread's event numbers, for the relay's gap count.
    numbers = None


run_state = RunState()


class Tap:
    stream = "inspector:events"
    watchers = "inspector:watchers"
    stream_maxlen = 10000
    queue_max = 10000
    poll_seconds = 1.0
    ship_seconds = 0.02
    # A registered inspector socket whose daphne has not refreshed it for
    # this long (daphne died with it open) is forgotten.
    watcher_ttl = 10
    # At most ``rate`` events a second leave a process, in bursts of up to
    # ``burst``: past that, watching would cost the message path more than
    # anyone can read, so further events are dropped (and counted).
    rate = 200
    burst = 500

    def __init__(self, connection, prefix):
        self.connection = connection  # the first Redis host: stream and watchers live there
        self.stream_key = prefix + self.stream
        self.watchers_key = prefix + self.watchers
        self.role = "process"  # "daphne" or "worker" once the process says which it is
        self.pid = os.getpid()
        self.router = None  # a worker's router, to name the consumer of a message
        self.watching = False  # read on the message path, written by the thread
        # Events this process may still report; refilled by the thread.
        self.tokens = float(self.burst)
        self.queue = collections.deque()  # events waiting for the thread to ship them
        self.stopped = threading.Event()  # set by stop(): the thread ends
        self.thread = threading.Thread(target=self.run, name="inspector-tap", daemon=True)
        self.thread.start()

    ### The message path's side ###

    def admit(self):
        """Whether one more event may be reported now.

        A refused event still uses up its number in the thread's sequence,
        so the relay counts it as dropped.
        """
        if self.tokens >= 1:
            self.tokens -= 1  # unlocked: a rare lost decrement only lets one more through
            return True
        self.number()
        return False

    def number(self):
        if run_state.numbers is None:
            run_state.numbers = itertools.count(1)
        return next(run_state.numbers)

    def event(self, op, channel, ts=None, **fields):
        """A new event of this process and thread, at ``ts`` or now; None fields are left out."""
        event = {"ts": round(ts or time.time(), 6), "role": self.role, "pid": self.pid, "op": op,
                 "channel": channel, "src": "%d.%d" % (self.pid, threading.get_ident()),
                 "seq": self.number()}
        event.update((key, value) for key, value in fields.items() if value is not None)
        return event

    def emit(self, op, channel, ts=None, **fields):
        self.enqueue(self.event(op, channel, ts, **fields))

    def enqueue(self, event):
        if run_state.held is not None:
            run_state.held.append(event)
        elif len(self.queue) < self.queue_max:
            self.queue.append(event)
        # else: dropped; the gap in "seq" is how the relay counts it

    def begin_run(self, event, channel, message):
        """A worker took a message: hold its event until the consumer has run."""
        run_state.pending, run_state.held, run_state.started = event, [], None
        run_state.received = (channel, message)

    def consumer_started(self):
        if run_state.pending is not None:
            run_state.started = time.perf_counter()

    def finish_run(self):
        """Ship the held receive event, naming its consumer and run time, then what it emitted."""
        event, held = run_state.pending, run_state.held
        run_state.pending = run_state.held = None
        run_state.quiet = False
        if event is None:
            return
        if run_state.started is not None:
            event["ms"] = round(1000 * (time.perf_counter() - run_state.started), 3)
            event["consumer"] = self.consumer_of(*run_state.received)
        run_state.received = None
        for each in [event] + held:
            self.enqueue(each)

    def consumer_of(self, channel, message):
        """``module.function`` of the consumer the worker's router picks for the message.

        Decorators made with functools.wraps (and Channels' origin
        validators) are looked through, to the function the site wrote.
        """
        match = self.router.match(Message(message, channel, None)) if self.router else None
        return name_that_thing(inspect.unwrap(match[0])) if match else None

    ### The thread's side ###

    def run(self):
        next_poll, delay, last = 0.0, 0.0, time.monotonic()
        while not self.stopped.wait(delay):
            now = time.monotonic()
            self.tokens = min(self.burst, self.tokens + self.rate * (now - last))
            last = now
            try:
                if now >= next_poll:
                    next_poll = now + self.poll_seconds
                    self.watching = self.anyone_watching()
                    if not self.watching:
                        self.queue.clear()
                if self.queue:
                    self.ship()
            except Exception:  # the thread must outlive any one bad answer
                logger.exception("inspector tap")
            delay = self.ship_seconds if self.watching else max(0.0, next_poll - now)

    def stop(self):
        """End the thread (a layer made for a while, as in tests); the process's own never stops."""
        self.stopped.set()
        self.thread.join()

    def anyone_watching(self):
        try:
            pipeline = self.connection.pipeline(transaction=False)
            pipeline.zremrangebyscore(self.watchers_key, 0, time.time() - self.watcher_ttl)
            pipeline.exists(self.watchers_key)
            return bool(pipeline.execute()[1])
        except REDIS_DOWN:
            return False

    def ship(self, batch=1000):
        pipeline = self.connection.pipeline(transaction=False)
        for _ in range(min(batch, len(self.queue))):
            event = self.queue.popleft()
            redacted_event(event)
            pipeline.execute_command("XADD", self.stream_key, "MAXLEN", "~", self.stream_maxlen,
                                     "*", "e", json.dumps(event, default=repr))
        try:
            pipeline.execute()
        except REDIS_DOWN as error:
            logger.debug("inspector events lost, Redis unavailable: %s", error)

    ### Inspector sockets (called from the inspector's consumers) ###

    def watch(self, reply_channel):
        pipeline = self.connection.pipeline(transaction=False)
        pipeline.zadd(self.watchers_key, **{reply_channel: time.time()})
        pipeline.expire(self.watchers_key, self.watcher_ttl * 6)
        pipeline.execute()

    def unwatch(self, reply_channel):
        self.connection.zrem(self.watchers_key, reply_channel)
