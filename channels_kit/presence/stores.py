"""Where presence is kept: beside the group in the layer's Redis, or in this process.

A group's presence is three things: which socket (reply channel) stands for
which name, how many sockets each name has, and a sequence number that every
change takes the next of. A change is decided where it is recorded, at once,
so two workers joining or leaving one name together never both announce.

What ``present`` reports is also filtered by the group's own membership, the
truth the daphnes keep (``channels_kit/layer/memberships.py``): a socket
whose membership was pruned is not shown, even before its entry is cleaned.
"""
import collections
import threading
import time
import weakref

from channels_kit.layer.roles import RedisBacked, layer_that, made_once, shard_prefix, unwrap

# A name's sequence number outlives a quiet group by this long (a day).
SEQUENCE_LIFETIME = 86400
# Redis layer -> its presence store, which registers its scripts once.
REDIS_STORES = weakref.WeakKeyDictionary()

# KEYS: labels by channel, sockets by label, sequence. ARGV: channel, label, lifetime.
# Returns {seq, sockets the label has now}; {seq, 0} if nothing changed.
JOIN = """
local old = redis.call('HGET', KEYS[1], ARGV[1])
if old == ARGV[2] then
    return {tonumber(redis.call('GET', KEYS[3]) or '0'), 0}
end
if old and redis.call('HINCRBY', KEYS[2], old, -1) <= 0 then
    redis.call('HDEL', KEYS[2], old)
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
local count = redis.call('HINCRBY', KEYS[2], ARGV[2], 1)
local seq = redis.call('INCR', KEYS[3])
redis.call('EXPIRE', KEYS[3], ARGV[3])
return {seq, count}
"""

# KEYS: as JOIN. ARGV: channel, lifetime.
# Returns {seq, label, sockets the label has left}; nil if the channel was not there.
LEAVE = """
local label = redis.call('HGET', KEYS[1], ARGV[1])
if not label then
    return false
end
redis.call('HDEL', KEYS[1], ARGV[1])
local count = redis.call('HINCRBY', KEYS[2], label, -1)
if count <= 0 then
    redis.call('HDEL', KEYS[2], label)
    count = 0
end
local seq = redis.call('INCR', KEYS[3])
redis.call('EXPIRE', KEYS[3], ARGV[2])
return {seq, label, count}
"""

# KEYS: labels by channel, sequence, the group's sorted set. ARGV: the oldest
# membership score that still counts. Returns {seq, label, label, ...}.
PRESENT = """
local out = {tonumber(redis.call('GET', KEYS[2]) or '0')}
local entries = redis.call('HGETALL', KEYS[1])
for i = 1, #entries, 2 do
    local score = redis.call('ZSCORE', KEYS[3], entries[i])
    if score and tonumber(score) >= tonumber(ARGV[1]) then
        table.insert(out, entries[i + 1])
    end
end
return out
"""

# One recorded change: its sequence number, the label, and how many sockets
# the label has after it.
Change = collections.namedtuple("Change", "seq label count")


def store_for(layer):
    """The presence store of ``layer``'s backend: its Redis, or this process."""
    redis_layer = layer_that(RedisBacked, layer)
    if redis_layer is None:
        return MemoryPresence.of(layer)
    return made_once(REDIS_STORES, redis_layer, RedisPresence)


class RedisPresence:
    """Presence in the layer's Redis, on the host of the group's own key."""

    def __init__(self, layer):
        self.layer = layer
        connection = layer.connection(0)
        self.join_script = connection.register_script(JOIN)
        self.leave_script = connection.register_script(LEAVE)
        self.present_script = connection.register_script(PRESENT)

    def keys(self, group):
        base = "%spresence:%s" % (shard_prefix(self.layer, self.layer.consistent_hash(group)), group)
        return [base, base + ":counts", base + ":seq"]

    def client(self, group):
        return self.layer.connection(self.layer.consistent_hash(group))

    def join(self, group, channel, label):
        """Record ``channel`` as ``label``; the Change, or None if it was recorded already."""
        seq, count = self.join_script(keys=self.keys(group),
                                      args=[channel, label, SEQUENCE_LIFETIME],
                                      client=self.client(group))
        return Change(seq, label, count) if count else None

    def leave(self, group, channel):
        """Forget ``channel``; the Change, or None if it was not recorded (left already)."""
        return self.leave_all([(group, channel)])[0]

    def leave_all(self, memberships):
        """``leave`` for each ``(group, channel)``, pipelined: one trip per Redis host."""
        pipelines, order = {}, []
        for group, channel in memberships:
            client = self.client(group)
            pipeline = pipelines.setdefault(id(client), client.pipeline(transaction=False))
            self.leave_script(keys=self.keys(group), args=[channel, SEQUENCE_LIFETIME],
                              client=pipeline)
            order.append(id(client))
        results = {key: iter(pipeline.execute()) for key, pipeline in pipelines.items()}
        changes = []
        for key in order:
            result = next(results[key])
            changes.append(Change(result[0], result[1].decode("utf8"), result[2])
                           if result else None)
        return changes

    def present(self, group):
        """(seq, [label of every socket whose membership still stands])."""
        oldest = time.time() - getattr(self.layer, "group_expiry", SEQUENCE_LIFETIME)
        base = self.keys(group)
        seq, *labels = self.present_script(keys=[base[0], base[2], self.layer._group_key(group)],
                                           args=[oldest], client=self.client(group))
        return seq, [label.decode("utf8") for label in labels]


class MemoryPresence:
    """Presence in this process, for the in-memory layer (runserver, unit tests)."""

    # One store per in-memory layer, as each layer has its own groups.
    _stores = {}
    _stores_lock = threading.Lock()

    def __init__(self, layer):
        # The layer whose group memberships filter what ``present`` reports.
        self.layer = layer
        # Guards everything below: consumers run in several threads.
        self.lock = threading.Lock()
        # group -> {channel: label}
        self.labels = collections.defaultdict(dict)
        # group -> sequence number of its last change
        self.seqs = collections.Counter()

    @classmethod
    def of(cls, layer):
        layer = unwrap(layer)
        with cls._stores_lock:
            key = id(layer)
            if key not in cls._stores:
                cls._stores[key] = cls(layer)
            return cls._stores[key]

    def count(self, group, label):
        return sum(1 for other in self.labels[group].values() if other == label)

    def join(self, group, channel, label):
        with self.lock:
            if self.labels[group].get(channel) == label:
                return None
            self.labels[group][channel] = label
            self.seqs[group] += 1
            return Change(self.seqs[group], label, self.count(group, label))

    def leave(self, group, channel):
        with self.lock:
            label = self.labels[group].pop(channel, None)
            if label is None:
                return None
            self.seqs[group] += 1
            return Change(self.seqs[group], label, self.count(group, label))

    def leave_all(self, memberships):
        return [self.leave(group, channel) for group, channel in memberships]

    def present(self, group):
        members = set(self.layer.group_channels(group))
        with self.lock:
            return self.seqs[group], [label for channel, label in self.labels[group].items()
                                      if channel in members]
