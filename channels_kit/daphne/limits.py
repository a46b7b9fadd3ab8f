"""Every limit daphne's side applies, each default written here and nowhere else.

The defaults are class attributes, as ``django.contrib.sessions``' backends
keep theirs: an instance holds only what a project overrides, and anything
it does not override reads through to the class. A project's settings name
overrides in ``WEBSOCKET_LIMITS`` (a dict of attribute names); docs and
deploy files point here rather than repeat a value.
"""
from django.conf import settings


class Limits:
    """The bounds daphne's layer wrapper enforces, and how often it looks at Redis."""

    # --- Per socket (flow_control.py); 0 turns a check off ---
    # Characters of text (bytes if binary) in one frame: frame-too-large, 4501.
    max_frame = 65536
    # Frames a second a socket may send, after a burst of ``burst`` at once;
    # past it daphne stops reading the socket (0: no rate and no fair share).
    # The rate covers game loops and telemetry; the burst lets a page send its
    # backlog at once, and bounds what one flooder puts in the shared queue
    # in front of everyone else.
    rate = 100
    burst = 300
    # At most this many frames of one socket wait in the shared queue at once.
    fair_share = 20
    # While sockets are held to their fair share, how often daphne asks Redis
    # how far the workers have got (seconds).
    share_poll = 0.01
    # Open sockets per client address, over all daphnes sharing the port:
    # too-many-connections, 4502.
    max_per_client = 200
    # Daphnes sharing the port; each counts only its own sockets, so each
    # allows its share of ``max_per_client`` and the sum stays within it.
    daphnes = 1

    # --- While Redis is unreachable (outages.py) ---
    # Seconds frames are held before every socket is closed (1012 / 1013).
    outage_seconds = 10
    # Frames and bytes held per socket, and bytes held for all sockets.
    outage_frames = 1000
    outage_bytes = 2 ** 20
    outage_total_bytes = 64 * 2 ** 20
    # Seconds held frames wait for the replayed connects to be answered.
    replay_wait = 2.0
    # Path prefixes whose sockets are closed with 1012 rather than connected
    # again when Redis lost its state: their connect does more than join
    # groups (opens a shell, say), and their page reconnects to what it had.
    reconnect_paths = ()

    # --- Stopping: SIGTERM, SIGINT, SIGHUP (drain.py) ---
    # Seconds a stopping daphne may take to deliver what it accepted; it
    # exits then whatever is left. Process managers must wait longer before
    # they kill it (deploy/'s TimeoutStopSec, channels_kit.operations.supervise).
    drain_seconds = 8
    # Seconds it reads a socket after telling it to reconnect, for frames the
    # client sent before it saw the notice; then it closes it with 1012.
    drain_grace = 1.0
    # The notice's ``retry_ms``: clients spread their reconnects over this
    # many milliseconds, so the daphnes left are not hit all at one instant.
    drain_retry_ms = 250

    # --- The Redis watch (redis_watch.py) ---
    # Seconds between probes for the marker keys (and for outage deadlines).
    watch_interval = 0.5

    # --- Health (health.py) ---
    # The request daphne answers itself with a 503 while Redis is down.
    health_path = "/health/"

    def __init__(self, **overrides):
        for name, value in overrides.items():
            if name.startswith("_") or not hasattr(Limits, name) or callable(getattr(Limits, name)):
                raise TypeError("%r is not a limit daphne's side knows" % name)
            setattr(self, name, value)
        self.reconnect_paths = tuple(self.reconnect_paths)

    @classmethod
    def from_settings(cls):
        """The defaults, with the project's ``WEBSOCKET_LIMITS`` over them."""
        return cls(**getattr(settings, "WEBSOCKET_LIMITS", {}))

    def clients_per_daphne(self):
        """This daphne's share of ``max_per_client`` (0: off)."""
        return self.max_per_client and max(1, self.max_per_client // self.daphnes)
