"""Inspector traces: the events of a stretch of time, recorded from the stream and saved redacted.

A class replays a trace step by step long after the split that made it
has stopped, and a trace file may be mailed around or committed: so a
trace holds only what the inspector may show. Events reach the stream
already redacted (``Tap.ship``); ``save_trace`` redacts them again on the
way to disk and ``load_trace`` once more on the way out, so neither a file
from an older version nor one edited by hand can put a secret on a page.

``Recorder`` reads the same stream daphne's relay reads, registered as a
watcher of its own (so every process reports while it records, with no
inspector page open), into a list instead of onto sockets.
"""
import json
import os
import re
import time

from channels_kit.inspector.redaction import redacted_event
from channels_kit.inspector.relay import Relay

TRACE_FORMAT = "channels-inspector-trace/1"
# A trace's name: letters, digits, dot, dash and underscore; never a path.
TRACE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
SUFFIX = ".json"
# The most events one trace keeps: a lesson's worth many times over, and a
# file a replay page loads at once.
MAX_EVENTS = 5000


class Recorder(Relay):
    """Every event from now until ``done(recorder)`` says so, with the count of those lost."""

    def __init__(self, layer):
        super().__init__(layer)
        self.name = "trace-recorder.%d" % os.getpid()  # never a daphne's channel: no relay serves it
        self.events = []
        self.lost = 0

    def record(self, done):
        """Record until ``done(self)``, Ctrl-C or ``MAX_EVENTS``, then what the stream already holds."""
        tap, renew = self.tap, 0.0
        self.position = self.now()
        try:
            while not done(self) and len(self.events) < MAX_EVENTS:
                if time.monotonic() >= renew:  # a registration not renewed expires
                    tap.watch(self.name)
                    renew = time.monotonic() + tap.poll_seconds
                self.take(self.read())
        except KeyboardInterrupt:
            pass
        finally:
            tap.unwatch(self.name)
        self.drain()
        return self.events

    def drain(self):
        """Take what happened before the stop and is still in the stream, not what came after."""
        newest = self.tap.connection.execute_command("XREVRANGE", self.tap.stream_key, "+", "-",
                                                     "COUNT", 1)
        end = entry_id(newest[0][0]) if newest else None
        while end and entry_id(self.position) < end and len(self.events) < MAX_EVENTS:
            if not self.take(self.read()):
                break

    def take(self, events):
        """Keep ``events`` (up to ``MAX_EVENTS`` in all), counting what never reached the stream."""
        self.lost += self.count_gaps(events)
        room = MAX_EVENTS - len(self.events)
        self.events.extend(events[:room])
        self.lost += max(0, len(events) - room)
        return events


def entry_id(value):
    """A stream entry id (``b"1700000000000-3"``) as a tuple that sorts as Redis orders them."""
    if isinstance(value, bytes):
        value = value.decode("ascii")
    milliseconds, _, sequence = value.partition("-")
    return int(milliseconds), int(sequence or 0)


def well_formed(event):
    """Whether ``event`` has the shape a replay reads: names are strings, times are numbers."""
    def of(field, kinds, default=None):
        return isinstance(event.get(field, default), kinds)
    optional_text = (str, type(None))
    return (isinstance(event, dict) and of("op", str) and of("role", str)
            and of("ts", (int, float)) and of("channel", optional_text)
            and of("group", optional_text) and of("consumer", optional_text)
            and of("ms", (int, float), 0) and of("members", int, 0))


def trace_path(directory, name):
    if not TRACE_NAME.match(name):
        raise ValueError("a trace name is letters, digits, '.', '-' and '_': %r" % name)
    return os.path.join(directory, name + SUFFIX)


def save_trace(directory, name, events, lost=0):
    """Write the events, redacted and in time order, to ``<directory>/<name>.json``; its path."""
    path = trace_path(directory, name)
    os.makedirs(directory, exist_ok=True)
    trace = {"format": TRACE_FORMAT, "name": name, "recorded": round(time.time()), "lost": lost,
             "events": sorted((redacted_event(dict(event)) for event in events if well_formed(event)),
                              key=lambda event: event["ts"])}
    with open(path + ".part", "w") as out:
        json.dump(trace, out, indent=1, default=repr)
    os.replace(path + ".part", path)
    return path


def load_trace(directory, name):
    """The trace ``name`` with every event redacted again; None if there is no such trace."""
    try:
        with open(trace_path(directory, name)) as source:
            trace = json.load(source)
    except (ValueError, OSError):
        return None
    if not isinstance(trace, dict) or trace.get("format") != TRACE_FORMAT:
        return None
    events = trace.get("events")
    trace["events"] = [redacted_event(event) for event in (events if isinstance(events, list) else [])
                       if well_formed(event)]
    return trace


def trace_names(directory):
    """The names of the traces saved in ``directory``, sorted."""
    try:
        files = os.listdir(directory)
    except OSError:
        return []
    return sorted(name[:-len(SUFFIX)] for name in files
                  if name.endswith(SUFFIX) and TRACE_NAME.match(name[:-len(SUFFIX)]))
