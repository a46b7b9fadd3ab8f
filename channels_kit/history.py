"""Groups that remember: a group's last messages, and catch-up for a socket that comes back.

Channels 1.x delivers at most once and keeps nothing. A socket that drops and
reconnects (a network blip, a daphne restart) misses whatever its group heard
meanwhile, and a page that loads shows an empty room. ``GroupHistory`` keeps a
group's last ``size`` messages, each with an id that only grows: in the
layer's Redis (one stream per group, next to the group's own key) or, on the
in-memory layer, in this process.

A socket asks on connect, in its query string: ``?since=<id>`` for what came
after the last message it saw, ``?since=`` for the latest ones (a page that
just loaded). ``catch_up`` answers with one frame::

    {"history": [<message with its "id">, ...], "complete": true|false}

It also holds what was kept in the moments before ``since`` (``reorder_ms``),
which the client may have, so it drops any id it has already shown.
``complete`` is false when messages after ``since`` are no longer kept (more
than ``size`` came after it, the group was idle past its expiry, or Redis
restarted empty), so the client can say plainly that it missed some. A
connect consumer joins the group *before* it catches up: every message is
then in the history it reads or arrives live after, and some may come both
ways; the id tells the client which copy to drop.
"""
import collections
import json
import re
import threading
import time
import weakref

from channels import DEFAULT_CHANNEL_LAYER, channel_layers

from channels_kit.client_errors import ClientError
from channels_kit.frames import query_params
from channels_kit.layer.roles import RedisBacked, layer_that, made_once, shard_prefix

# What an id looks like: a Redis stream id, milliseconds and a sequence number.
MESSAGE_ID = re.compile(r"^([0-9]{1,20})-([0-9]{1,20})$")

# KEYS: the group's stream, its floor. ARGV: the message, how many to keep,
# the expiry (seconds). The floor is the id below which messages may be
# missing: the newest one trimmed, or the first one of a stream that was
# just (re)created, since nothing before it is known.
APPEND = """
local before = redis.call('XLEN', KEYS[1])
local id = redis.call('XADD', KEYS[1], '*', 'm', ARGV[1])
local keep = tonumber(ARGV[2])
if before == 0 then
    redis.call('SET', KEYS[2], id)
elseif before >= keep then
    local dropped = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', before - keep + 1)
    redis.call('SET', KEYS[2], dropped[#dropped][1])
    redis.call('XTRIM', KEYS[1], 'MAXLEN', keep)
end
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[3])
return id
"""


def id_key(message_id):
    """An id as a tuple that sorts as the ids do."""
    milliseconds, sequence = MESSAGE_ID.match(message_id).groups()
    return int(milliseconds), int(sequence)


def since_of(message):
    """The ``since`` a connect message asks for: an id, "" for the latest, None if not asked."""
    values = query_params(message).get("since")
    if values is None:
        return None
    if len(values) > 1 or (values[0] and not MESSAGE_ID.match(values[0])):
        raise ClientError("invalid-since", "?since= takes one message id, as in the messages' "
                                           '"id", or nothing for the latest messages')
    return values[0]


class GroupHistory:
    """The last ``size`` messages sent to one group, each with its id."""

    # Messages kept per group unless the caller asks for another number.
    size = 100
    # The most a caller may ask for: a catch-up is one frame.
    max_size = 1000
    # How long before the id a socket asks after its catch-up reaches back
    # (milliseconds): longer than a message takes from being kept to being sent.
    reorder_ms = 2000

    def __init__(self, group_name, size=None, layer=None):
        # The group whose messages these are.
        self.group_name = group_name
        # How many are kept.
        self.size = max(1, min(size or self.size, self.max_size))
        # Where they are kept: Redis if the layer is a Redis layer, else this process.
        self.store = store_for(layer or channel_layers[DEFAULT_CHANNEL_LAYER])

    def add(self, message):
        """Keep ``message`` (a dict); returns it with its new ``"id"``, to send to the group."""
        message_id = self.store.append(self.group_name, json.dumps(message), self.size)
        return dict(message, id=message_id)

    def since(self, last_id):
        """``(messages after last_id, complete)``; the latest ones, complete, for "" or None.

        The messages start ``reorder_ms`` before ``last_id``: two workers can
        keep a group's messages in one order and send them live in the other,
        so one kept just before the newest message a client saw may still have
        been on its way to it. The client drops the copies it has, by id.
        """
        if not last_id:
            return self.store.latest(self.group_name, self.size), True
        reach = "%d-0" % max(id_key(last_id)[0] - self.reorder_ms, 0)
        messages, floor = self.store.after(self.group_name, reach, self.size)
        return messages, floor is not None and id_key(last_id) >= id_key(floor)


def catch_up(message, history):
    """Send the socket the history it asked for on connect (nothing if it did not ask)."""
    since = since_of(message)
    if since is None:
        return
    messages, complete = history.since(since)
    message.reply_channel.send({"text": json.dumps({"history": messages, "complete": complete})})


def store_for(layer):
    """The store of ``layer``'s histories: one per Redis layer, made once; else this process's."""
    redis_layer = layer_that(RedisBacked, layer)
    return IN_PROCESS if redis_layer is None else made_once(REDIS_STORES, redis_layer, RedisStore)


def with_ids(pairs):
    """``(id, payload)`` pairs as the messages they hold, each with its id."""
    return [dict(json.loads(payload), id=message_id) for message_id, payload in pairs]


def decoded(entries):
    """XRANGE's reply (``[[id, [field, value, ...]], ...]``) as messages, each with its id."""
    return with_ids((entry_id.decode(), dict(zip(fields[::2], fields[1::2]))[b"m"])
                    for entry_id, fields in entries)


class RedisStore:
    """Histories in the layer's Redis: a stream per group, on the group's own host.

    The stream commands go through ``execute_command``: the redis-py that
    asgi_redis pins predates streams.
    """

    def __init__(self, layer):
        # The Redis layer: its hosts, its key prefix, its group expiry.
        self.layer = layer
        # APPEND, sent by its SHA once Redis knows it.
        self.append_script = layer.connection(0).register_script(APPEND)

    def keys(self, group_name):
        prefix = shard_prefix(self.layer, self.layer.consistent_hash(group_name))
        stream = "%shistory:%s" % (prefix, group_name)
        return stream, stream + ":floor"

    def client(self, group_name):
        return self.layer.connection(self.layer.consistent_hash(group_name))

    def append(self, group_name, payload, size):
        message_id = self.append_script(keys=self.keys(group_name),
                                        args=[payload, size, self.layer.group_expiry],
                                        client=self.client(group_name))
        return message_id.decode()

    def latest(self, group_name, size):
        stream, _ = self.keys(group_name)
        newest = self.client(group_name).execute_command("XREVRANGE", stream, "+", "-",
                                                         "COUNT", size)
        return decoded(reversed(newest))

    def after(self, group_name, last_id, size):
        stream, floor = self.keys(group_name)
        pipeline = self.client(group_name).pipeline(transaction=False)
        pipeline.execute_command("XRANGE", stream, "(" + last_id, "+", "COUNT", size)
        pipeline.get(floor)
        entries, floor_id = pipeline.execute()
        return decoded(entries), floor_id.decode() if floor_id else None


class MemoryStore:
    """Histories in this process, for the in-memory layer (runserver, unit tests)."""

    def __init__(self):
        # Guards everything below: consumers run in several threads.
        self.lock = threading.Lock()
        # group -> [(id, payload)], oldest first.
        self.kept = collections.defaultdict(list)
        # group -> the floor, as in the Redis store.
        self.floors = {}
        # The last id given, so ids only grow.
        self.last = (0, 0)

    def next_id(self):
        now = int(time.time() * 1000)
        self.last = (now, 0) if now > self.last[0] else (self.last[0], self.last[1] + 1)
        return "%d-%d" % self.last

    def append(self, group_name, payload, size):
        with self.lock:
            kept = self.kept[group_name]
            message_id = self.next_id()
            if not kept:
                self.floors[group_name] = message_id
            kept.append((message_id, payload))
            if len(kept) > size:
                self.floors[group_name] = kept[-size - 1][0]
                del kept[:-size]
            return message_id

    def latest(self, group_name, size):
        with self.lock:
            return with_ids(self.kept[group_name][-size:])

    def after(self, group_name, last_id, size):
        with self.lock:
            later = [(message_id, payload) for message_id, payload in self.kept[group_name]
                     if id_key(message_id) > id_key(last_id)][:size]
            return with_ids(later), self.floors.get(group_name)


# The in-process histories of this process.
IN_PROCESS = MemoryStore()
# Redis layer -> its store, which registers the append script once.
REDIS_STORES = weakref.WeakKeyDictionary()
