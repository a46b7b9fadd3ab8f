"""Is Redis reachable, and does it still hold what daphne's sockets rely on?

Group memberships and channel sessions live in Redis. A Redis that restarts
without persistence, is flushed, or is replaced by a replica that never saw
them comes back empty, and daphne's open sockets are then in no group: they
stay open and hear nothing. A reconnect alone does not say whether that
happened (the same server may simply have been unreachable), so each daphne
keeps a marker key on every Redis it uses and looks for it: present, the
state survived; missing, it was lost, and the marker is written again.
"""
import random
import threading

from channels_kit.layer.roles import shard_prefix


class RedisWatch:
    """The probe daphne's layer wrapper runs in a thread every ``Limits.watch_interval`` seconds."""

    # The marker outlives any outage worth surviving; it is refreshed on each probe.
    marker_ttl = 3600
    marker_prefix = "daphne-alive:"

    def __init__(self, connections, prefixes):
        self.connections = connections  # redis-py clients, one per shard
        marker = self.marker_prefix + "%016x" % random.getrandbits(64)
        # One marker per shard, named with the shard's prefix: on Redis Cluster, in the shard's slot.
        self.keys = [prefix + marker for prefix in prefixes]
        self.placed = False   # False until the first probe has written the markers
        self.lock = threading.Lock()

    @classmethod
    def for_layer(cls, layer):
        """A watch over the Redis hosts of an asgi_redis layer; None for other layers."""
        connections = getattr(layer, "_connection_list", None)
        if not connections:
            return None
        return cls(connections, [shard_prefix(layer, index) for index in range(len(connections))])

    def probe(self):
        """"ok", or "lost" when a marker was gone; raises one of REDIS_DOWN when unreachable."""
        with self.lock:
            lost = False
            for connection, key in zip(self.connections, self.keys):
                pipeline = connection.pipeline(transaction=False)
                pipeline.set(key, "1", nx=True)
                pipeline.expire(key, self.marker_ttl)
                created, _ = pipeline.execute()
                lost = lost or bool(created)
            first, self.placed = not self.placed, True
            return "lost" if lost and not first else "ok"

