"""Where the layer's keys live: on asgi_redis's shards (one Redis each), or on Redis Cluster.

asgi_redis spreads channels and groups over its ``hosts`` by a consistent
hash of their names: host ``i`` is shard ``i``. On Redis Cluster
(``cluster=True``; the hosts are any of its nodes) the shards are hash
tags instead: ``cluster_shards`` of them, chosen so their slots lie evenly
over the slot space. Every key of shard ``i`` carries tag ``i``
(``asgi:{0a0001}websocket.receive``), so each script, which touches a
message, its list and their counters, touches one slot; and the cluster,
not the layer, decides which master serves each shard. Resharding a tag's
slot moves a shard, while every process keeps the same hash.

The workers' channels (no ``!`` or ``?``) live on the first shard alone on
a cluster: a worker blocks on one list per channel there, where asgi_redis
blocks on each host in turn. Reply channels, groups, histories and presence
spread over every shard.

Everything that names a key asks here: ``key_prefix(index)`` (and
``stats_prefix_of(index)``) is the prefix of shard ``index``'s keys.
"""
import itertools
import random
import string

import redis

from channels_kit.connections import cluster, redis_urls, sentinel
from channels_kit.connections.cluster_slots import SLOTS, slot_of
from channels_kit.layer.packing import HiredisPackedConnection, HiredisPackedSentinelConnection


def shard_tags(count):
    """``count`` hash tags of one length, the ``i``-th in the ``i``-th equal part of the slot space."""
    tags = []
    for index in range(count):
        low, high = index * SLOTS // count, (index + 1) * SLOTS // count
        tag = next(tag for tag in ("%02x%04x" % (index, n) for n in itertools.count())
                   if low <= slot_of(tag) < high)
        tags.append(tag)
    return tags


class Placement:
    """Shards: which one a channel or group is on, and the names of its keys (a mixin over asgi_redis)."""

    # Hash tags a layer on Redis Cluster spreads its keys over: as many
    # masters as it can use. Every process of a deployment must agree.
    cluster_shards = 16

    def __init__(self, *args, cluster=False, **kwargs):
        # On Redis Cluster: the cluster (set up with the connections); None on shards.
        self.cluster = cluster or None
        super().__init__(*args, **kwargs)
        if self.cluster:
            self.ring_size = self.cluster_shards
            self._send_index_generator = self._receive_index_generator = itertools.repeat(0)
            tags = ["{%s}" % tag for tag in shard_tags(self.ring_size)]
        else:
            tags = [""] * self.ring_size
        # Per shard: the prefix of its keys and of its statistics keys.
        self.key_prefixes = [self.prefix + tag for tag in tags]
        self.stats_prefixes = [self.stats_prefix + tag for tag in tags]
        # Where a channel's name begins in its list's key (every shard's prefix is as long).
        self.name_start = len(self.key_prefixes[0])
        # lua_pop_parked's flag: on a cluster, hand back a content missing on its list's master.
        self.ask_moved = "ask" if self.cluster else ""

    def key_prefix(self, index):
        return self.key_prefixes[index]

    def stats_prefix_of(self, index):
        return self.stats_prefixes[index]

    ### Connections ###

    def _generate_connections(self, hosts, redis_kwargs):
        """A client per shard: asgi_redis's, on hiredis-packed connections; or the cluster's."""
        # The clients' options, for the pools of their own that private_client makes.
        self._redis_kwargs = redis_kwargs
        if self.cluster:
            self.cluster = self._cluster(hosts, redis_kwargs)
            tags = shard_tags(self.cluster_shards)
            return [cluster.client(self.cluster, slot_of(tag)) for tag in tags]
        return [self._client(host, redis_kwargs) for host in hosts]

    @staticmethod
    def _cluster(hosts, redis_kwargs):
        return cluster.Cluster(hosts, connection_class=HiredisPackedConnection,
                               redis_class=redis.Redis, **redis_kwargs)

    @staticmethod
    def _client(host, redis_kwargs):
        if sentinel.is_sentinel_url(host):
            return sentinel.master_client(host, redis_class=redis.Redis,
                                          connection_class=HiredisPackedSentinelConnection,
                                          **redis_kwargs)
        return redis_urls.client(host, connection_class=HiredisPackedConnection,
                                 redis_class=redis.Redis, **redis_kwargs)

    def private_client(self):
        """A client of the first shard on connections of its own, for a thread of its own.

        redis-py 2.10's Sentinel pool disconnects every connection it holds
        when it finds a new master, those in use by other threads included.
        A heartbeat or the inspector's tap sharing the worker's pool, first
        to reconnect after a failover, closed the socket under the worker's
        BLPOP, and the worker died of the AttributeError that follows.
        """
        if self.cluster:
            return cluster.client(self._cluster(self.hosts, self._redis_kwargs),
                                  self.connection(0).home_slot)
        return self._client(self.hosts[0], self._redis_kwargs)

    def servers(self):
        """A client of every Redis server that holds the layer's keys, once each (for SCAN and the like)."""
        if self.cluster:
            return self.connection(0).masters()
        return list(self._connection_list)

    def host_name(self, index):
        """Where shard ``index`` lives, without a password: for messages and pages."""
        if self.cluster:
            try:
                host, port = self.cluster.master_of(self.connection(index).home_slot)
            except redis.exceptions.RedisError:
                return "shard %d of the Redis cluster (no node answers)" % index
            return "%s:%s (shard %d of the Redis cluster)" % (host, port, index)
        return redis_urls.redact(self.hosts[index])

    def host_group(self, index):
        """What pipelines may share: shards on one Redis server (a cluster's shards on one master)."""
        if self.cluster:
            return self.cluster.master_of(self.connection(index).home_slot)
        return index

    ### Keys ###

    def list_key(self, channel):
        """``(shard index, key)`` of a ``!`` or ``?`` channel's list (they live on one shard)."""
        index = self.consistent_hash(channel)
        return index, self.key_prefixes[index] + channel

    def key_pattern(self, pattern):
        """A SCAN pattern for the lists of the channels ``pattern`` matches, on any shard."""
        tag = "{%s}" % ("?" * len(shard_tags(1)[0])) if self.cluster else ""
        return self.prefix + tag.replace("{", "[{]").replace("}", "[}]") + pattern

    def shards_of(self, channel):
        """The shards that may hold ``channel``'s list: its own, or every one a send may pick."""
        if "!" in channel or "?" in channel:
            return [self.consistent_hash(channel)]
        return [0] if self.cluster else list(range(self.ring_size))

    def _group_key(self, group):
        index = self.consistent_hash(group)
        return ("%s:group:%s" % (self.key_prefixes[index], group)).encode("utf8")

    def _receive_list_names(self, channels):
        """asgi_redis's ``{shard index: [list key, ...]}`` for a receive, each key with its shard's prefix."""
        if not channels:
            return None
        channels = list(channels)
        assert all(self.valid_channel_name(channel, receive=True) for channel in channels), \
            "One or more channel names invalid"
        indexes = {}
        shared = next(self._receive_index_generator)
        for channel in channels:
            index = self.consistent_hash(channel) if "!" in channel or "?" in channel else shared
            indexes.setdefault(index, []).append(self.key_prefixes[index] + channel)
        return indexes

    def new_channel(self, pattern):
        """A single-reader channel name not yet in use, as asgi_redis makes them, looked up on its shard."""
        assert pattern.endswith("?")
        while True:
            name = pattern + "".join(random.choice(string.ascii_letters) for _ in range(12))
            index, key = self.list_key(name)
            if not self.connection(index).exists(key):
                return name

    def flush(self):
        """Every key of the layer and its statistics, on every server (a cluster's masters one by one)."""
        if not self.cluster:
            return super().flush()
        for server in self.servers():
            for pattern in (self.prefix + "*", self.stats_prefix + "*"):  # the tags follow the prefixes
                for key in server.scan_iter(match=pattern, count=1000):
                    server.delete(key)
