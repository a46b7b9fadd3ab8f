"""Daphne's relay: events from the Redis stream to the inspector sockets daphne itself serves.

Why a thread in daphne, and not a group the events are sent to: a
``Group("inspector")`` send per event would itself be a layer operation
(an event about an event, to be hidden), and would cost every process a
Redis round trip per operation, on its message path. Instead the processes
only append to a capped Redis stream from a background thread, and
each daphne reads it on this thread, for the inspector sockets whose reply
channels are its own (registered by the inspector's connect consumer), and
sends each event to them with the layer, quietly: none of this is reported.
Several daphnes each serve their own sockets; a daphne with no inspector
socket open only checks every ``poll_seconds`` that it still has none.

Falling behind loses events, never time on the message path: each
process reports at most ``Tap.rate`` events a second, the stream keeps
about ``Tap.stream_maxlen``, the relay passes on at most ``rate`` a second
and skips to the newest when further behind, and a socket's reply channel
has a capacity. Each event carries a per-thread sequence number: the relay
counts what never reached it (gaps in the numbers), what it skipped and
what a socket had no room for, and tells each socket with a ``dropped``
event carrying ``count``.
"""
import json
import logging
import threading
import time

from channels_kit.inspector.tap import run_state
from channels_kit.connections.redis_errors import REDIS_DOWN

logger = logging.getLogger(__name__)


class Watcher:
    """One inspector socket served by this daphne."""

    def __init__(self, reply_channel):
        self.reply_channel = reply_channel
        self.dropped = 0  # events not delivered yet to be reported
        self.attached = False


class Relay:
    read_count = 500
    read_block_ms = 500
    # At most this many events a second go to the sockets; the rest are
    # skipped and counted. A socket fed faster than anyone reads it would
    # only take daphne's time from the sockets it serves.
    rate = 500

    def __init__(self, layer):
        self.layer = layer
        self.tap = layer.inspector
        self.watchers = {}  # reply channel -> Watcher
        self.position = None  # the last stream entry read, or None before the first read
        self.numbers = {}  # event source -> the last sequence number seen
        self.next_refresh = 0.0
        self.tokens, self.refilled = float(self.rate), time.monotonic()
        self.thread = threading.Thread(target=self.run, name="inspector-relay", daemon=True)

    def start(self):
        self.thread.start()
        return self

    def run(self):
        run_state.quiet = True  # nothing the relay does is shown
        while True:
            try:
                self.step()
            except REDIS_DOWN as error:
                logger.debug("inspector relay waiting for Redis: %s", error)
                time.sleep(self.tap.poll_seconds)
            except Exception:  # the thread must outlive any one bad answer
                logger.exception("inspector relay")
                time.sleep(self.tap.poll_seconds)

    def step(self):
        if time.monotonic() >= self.next_refresh:
            self.refresh_watchers()
        if not self.watchers:
            self.position = None
            self.numbers.clear()
            time.sleep(self.tap.poll_seconds)
            return
        if self.position is None:
            self.position = self.now()
        events = self.read()
        lost = self.count_gaps(events)
        kept = self.within_rate(events)
        self.deliver(kept, lost + len(events) - len(kept))

    def within_rate(self, events):
        """The newest events the rate allows; when far behind, the next read starts at the end."""
        now = time.monotonic()
        self.tokens = min(self.rate, self.tokens + self.rate * (now - self.refilled))
        self.refilled = now
        kept = events[len(events) - min(len(events), int(self.tokens)):]
        self.tokens -= len(kept)
        if len(kept) < len(events) and len(events) == self.read_count:
            # Whatever is queued behind is older still: skip it (its gaps are counted).
            newest = self.tap.connection.execute_command("XREVRANGE", self.tap.stream_key,
                                                         "+", "-", "COUNT", 1)
            if newest:
                self.position = newest[0][0].decode("ascii")
        return kept

    def refresh_watchers(self):
        """This daphne's registered sockets, their registrations renewed so they do not expire."""
        self.next_refresh = time.monotonic() + self.tap.poll_seconds
        if not self.tap.watching or not self.layer.daphne_channels:
            self.watchers.clear()
            return
        connection, key = self.tap.connection, self.tap.watchers_key
        own = set(self.layer.daphne_channels)
        mine = [name.decode("utf8") for name in connection.zrange(key, 0, -1)]
        mine = [name for name in mine if self.layer.non_local_name(name) in own]
        self.watchers = {name: self.watchers.get(name) or Watcher(name) for name in mine}
        if mine:
            # XX: a socket that closed since the ZRANGE stays gone.
            renewed = [part for name in mine for part in (time.time(), name)]
            pipeline = connection.pipeline(transaction=False)
            pipeline.execute_command("ZADD", key, "XX", *renewed)
            pipeline.expire(key, self.tap.watcher_ttl * 6)
            pipeline.execute()

    def now(self):
        """A stream position just before Redis's current time: events from now on."""
        seconds, micros = self.tap.connection.time()
        return "%d-0" % (seconds * 1000 + micros // 1000)

    def read(self):
        reply = self.tap.connection.execute_command(
            "XREAD", "COUNT", self.read_count, "BLOCK", self.read_block_ms,
            "STREAMS", self.tap.stream_key, self.position)
        events = []
        for _, entries in reply or []:
            for entry_id, fields in entries:
                self.position = entry_id.decode("ascii")
                events.append(json.loads(fields[1]))
        return events

    def deliver(self, events, lost):
        for watcher in list(self.watchers.values()):
            frames = []
            if not watcher.attached:
                watcher.attached = True
                frames.append(self.notice("attached"))
            if lost or watcher.dropped:
                frames.append(self.notice("dropped", count=lost + watcher.dropped))
                watcher.dropped = 0
            frames.extend(events)
            if frames:
                self.send(watcher, frames)

    def count_gaps(self, events):
        """Events that never reached the stream or were trimmed from it; strips the numbering."""
        lost = 0
        for event in events:
            source, number = event.pop("src"), event.pop("seq")
            last = self.numbers.get(source)
            if last is not None and number > last + 1:
                lost += number - last - 1
            self.numbers[source] = max(number, last or 0)
        return lost

    def notice(self, op, **fields):
        """An event from the inspector itself: attached, or how many events were dropped."""
        return dict({"ts": round(time.time(), 6), "role": "inspector", "pid": self.tap.pid,
                     "op": op, "channel": self.tap.stream_key}, **fields)

    def send(self, watcher, frames):
        """Every frame to the socket in one pipelined trip; frames that find it full are counted."""
        layer, pipeline = self.layer, None
        for frame in frames:
            connection, keys, args = layer._send_call(watcher.reply_channel,
                                                      {"text": json.dumps(frame)})
            pipeline = pipeline or connection.pipeline(transaction=False)
            layer.send_counted(keys=keys, args=args, client=pipeline)
        for result in pipeline.execute(raise_on_error=False):
            if isinstance(result, Exception):
                watcher.dropped += 1
