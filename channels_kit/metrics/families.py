"""The metric families the kit's processes update; no-ops without ``prometheus_client``.

Labels stay bounded: a channel *pattern*, a consumer's dotted name, a close
code, never a reply channel, a client address or a user.
"""
try:
    from prometheus_client import Counter, Gauge, Histogram
except ImportError:  # the kit runs without its metrics
    Counter = Gauge = Histogram = None


class Unmeasured:
    """Stands in for a metric when ``prometheus_client`` is not installed."""

    def labels(self, *args, **kwargs):
        return self

    def inc(self, amount=1):
        pass

    def dec(self, amount=1):
        pass

    def set(self, value):
        pass

    def observe(self, value):
        pass


def counter(name, doc, labels=()):
    return Counter(name, doc, labels) if Counter else Unmeasured()


def gauge(name, doc, labels=()):
    # livesum: summed over the processes alive now (a dead daphne's sockets are gone)
    return Gauge(name, doc, labels, multiprocess_mode="livesum") if Gauge else Unmeasured()


def histogram(name, doc, labels=()):
    return Histogram(name, doc, labels) if Histogram else Unmeasured()


# --- daphne (channels_kit.daphne.flow_control, outages) ---
OPEN_SOCKETS = gauge("channels_daphne_open_sockets", "WebSockets open in the daphnes of this host")
HANDSHAKES = counter("channels_daphne_handshakes_total",
                     "WebSocket handshakes daphne forwarded to the workers or refused itself",
                     ["result", "code"])
FRAMES_IN = counter("channels_daphne_frames_in_total",
                    "Client frames daphne queued for the workers (websocket.receive)")
FRAMES_OUT = counter("channels_daphne_frames_out_total",
                     "Frames daphne took from reply channels to send to its clients")
FRAMES_HELD = counter("channels_daphne_frames_held_total",
                      "Client frames daphne held because Redis was unreachable")
SOCKETS_PAUSED = counter("channels_daphne_sockets_paused_total",
                         "Times daphne stopped reading a socket (rate or fair share)")
SOCKETS_CLOSED = counter("channels_daphne_sockets_closed_total",
                         "Sockets daphne closed itself, by close code", ["code"])
OUTAGES = counter("channels_daphne_redis_outages_total",
                  "Times a daphne found Redis unreachable and began holding frames")
DRAINS = counter("channels_daphne_drains_total",
                 "Times a daphne stopped listening and drained its sockets to exit (drain.py)")
RECOVERIES = counter("channels_daphne_redis_recoveries_total",
                     "Times Redis answered again, by whether it kept its state", ["state"])

# --- workers (channels_kit.worker.batches) ---
WORKERS_BEATING = gauge("channels_worker_beating",
                        "Workers of this host whose last heartbeat reached Redis")
MESSAGES_LOST = counter("channels_worker_messages_lost_total",
                        "Client messages lost with a stopped worker, told to their sockets")
CONSUMER_SECONDS = histogram("channels_worker_consumer_seconds",
                             "Time a worker spent in a consumer, per message", ["consumer"])

# --- group memberships and presence (channels_kit.daphne.memberships, channels_kit.presence) ---
MEMBERSHIPS_REFRESHED = counter("channels_memberships_refreshed_total",
                                "Group memberships of open sockets the daphnes kept fresh")
MEMBERSHIPS_PRUNED = counter("channels_memberships_pruned_total",
                             "Group memberships the daphnes took out, by why: a socket that "
                             "closed without leaving, or a daphne that stopped beating",
                             ["why"])
PRESENCE_CHANGES = counter("channels_presence_changes_total",
                           "Presence changes announced to groups (joined, left)", ["change"])
