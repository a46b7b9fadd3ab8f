"""The layer's shared core: scripts, keys, serialization, groups, and sends that wait for Redis.

Every process role builds on this: daphne's side (``daphne_side.py``),
the workers' side (``worker_side.py``) and parking and heartbeats
(``parking.py``); ``channels_kit.layer`` composes them into the backend.

It keeps asgi_redis 1.4.3's storage layout (message keys, a list per
channel, a sorted set per group, the statistics keys), so the stock
``global_statistics()`` / ``channel_statistics()`` and any other
asgi_redis process on the same Redis keep working, and changes only how
it gets there:

- a send is one script (capacity check, store, push and counters), where
  asgi_redis spends two trips;
- ``send_group`` pipelines every member's send into one round trip, by
  script hash (redis-py's pipelined scripts would add a SCRIPT EXISTS trip);
- the connections have hiredis pack their commands (``packing.py``);
- messages are packed with ormsgpack (compiled) instead of msgpack-python
  0.5.6, which has no compiled part on Python 3.11; the bytes are the same;
- every full channel is logged at WARNING and counted in the Redis hash
  ``<stats_prefix>drops`` (field: channel pattern, and ``group:<name>`` for
  group sends), where asgi_redis drops a group member's message with a bare
  ``pass``; ``manage.py layerstats`` prints the counts.
"""
import functools
import logging
import random
import re
import time

import asgi_redis
import ormsgpack
import redis

from channels_kit.layer.placement import Placement

logger = logging.getLogger("channels_kit.layer")

# The random parts of a reply / single-reader channel name: the segment just
# before "!" or "?" (daphne's process id) and everything after it.
RANDOM_PARTS = re.compile(r"(?<=\.)[A-Za-z0-9]+(?=[!?])|(?<=[!?])[^.!?]+")

# How enforce_ordering's wait channels begin (channels.sessions.wait_channel_name).
WAIT_PREFIX = "__wait__."

# What lua_pop_parked returns, followed by the content's key, in place of a
# content that was not on the master holding its list.
MOVED = b"\x00"


@functools.lru_cache(maxsize=4096)  # few distinct names: one per channel, one per daphne
def channel_pattern(channel):
    """The channel's name with its random parts starred: one counter per kind of channel.

    "daphne.response.AbCdEfGhIj!kLmN" -> "daphne.response.*!*"; names without
    "!" or "?" ("websocket.receive") are their own pattern.
    """
    return RANDOM_PARTS.sub("*", channel)


def random_hex():
    """A message key as unique as asgi_redis's uuid4().hex, without building a UUID."""
    return "%032x" % random.getrandbits(128)


class LayerCore(Placement, asgi_redis.RedisChannelLayer):
    """asgi_redis's layer with one-trip sends, pipelined group sends and counted refusals."""

    ### Scripts ###

    # Store a message, push it, count it; or count the refusal. One trip.
    # Returns {the list's new length, messages ever pushed to it}: the second
    # is asgi_redis's per-channel statistics counter, so the message's
    # place in line can be told from the lengths Redis reports later.
    # KEYS: message, channel list, count, global count, full, global full, drops hash
    # ARGV: content, expiry, capacity, channel stat expiry, global stat expiry,
    #       drop field, group drop field ("" when not a group send),
    #       "front" to push near the head of the list instead of the tail: right
    #       after the message key ARGV[9] if that is still queued, else first
    lua_send_counted = """
        if redis.call('llen', KEYS[2]) >= tonumber(ARGV[3]) then
            redis.call('incr', KEYS[5])
            redis.call('expire', KEYS[5], ARGV[4])
            redis.call('incr', KEYS[6])
            redis.call('expire', KEYS[6], ARGV[5])
            redis.call('hincrby', KEYS[7], ARGV[6], 1)
            if ARGV[7] ~= '' then
                redis.call('hincrby', KEYS[7], ARGV[7], 1)
            end
            return redis.error_reply('full')
        end
        redis.call('set', KEYS[1], ARGV[1], 'EX', ARGV[2])
        if ARGV[8] == 'front' then
            if ARGV[9] == '' or redis.call('linsert', KEYS[2], 'AFTER', ARGV[9], KEYS[1]) <= 0 then
                redis.call('lpush', KEYS[2], KEYS[1])
            end
        else
            redis.call('rpush', KEYS[2], KEYS[1])
        end
        redis.call('expire', KEYS[2], ARGV[2] + 1)
        local pushed = redis.call('incr', KEYS[3])
        redis.call('expire', KEYS[3], ARGV[4])
        redis.call('incr', KEYS[4])
        redis.call('expire', KEYS[4], ARGV[5])
        return {redis.call('llen', KEYS[2]), pushed}
    """

    # A list's length and the count of messages ever pushed to it (KEYS: the
    # list, its statistics counter), as lua_send_counted returns them.
    lua_queue_mark = """
        return {redis.call('llen', KEYS[1]), tonumber(redis.call('get', KEYS[2]) or '0')}
    """

    # One host's share of a channel's statistics, read at once (KEYS: the
    # list, its messages counter, its full counter): the counters, the list's
    # length and the TTL of its oldest message (-2: none). asgi_redis reads
    # them in five trips, and a worker taking the oldest message between its
    # LINDEX and its TTL made ``channel_statistics`` raise a TypeError.
    lua_channel_statistics = """
        local oldest = redis.call('lindex', KEYS[1], 0)
        return {tonumber(redis.call('get', KEYS[2]) or '0'), tonumber(redis.call('get', KEYS[3]) or '0'),
                redis.call('llen', KEYS[1]), oldest and redis.call('ttl', oldest) or -2}
    """

    # Pop up to ARGV[1] messages from the lists KEYS[first..], in order,
    # appending {list, content} pairs to `out`; skips messages whose content
    # expired. Shared by the two scripts below. It reads message keys it does
    # not declare, so a cluster layer never runs it (see worker_side.py).
    lua_pop_loop = """
        local limit = tonumber(ARGV[1])
        local got = 0
        for i = %(first)d, #KEYS do
            while got < limit do
                local key = redis.call('lpop', KEYS[i])
                if not key then break end
                local content = redis.call('get', key)
                if content then
                    redis.call('del', key)
                    out[#out + 1] = KEYS[i]
                    out[#out + 1] = content
                    got = got + 1
                end
            end
            if got >= limit then break end
        end
    """

    # Pop up to ARGV[1] messages from the lists in KEYS, in order, with their
    # content. Returns {list, content, ...}.
    lua_pop_with_content = (
        "local out = {}" + lua_pop_loop % {"first": 1} + "return out"
    )

    # After a BLPOP: GET and DEL of the popped message key (KEYS[1]), then up to
    # ARGV[1] more messages from the lists KEYS[2..], as lua_pop_with_content.
    # Returns {content or nil, messages left in KEYS[2], list, content, ...}.
    lua_take = (
        """
        local out = {redis.call('get', KEYS[1]) or false}
        redis.call('del', KEYS[1])
        """
        + lua_pop_loop % {"first": 2}
        + """
        table.insert(out, 2, #KEYS > 1 and redis.call('llen', KEYS[2]) or 0)
        return out
        """
    )

    def _register_scripts(self):
        super()._register_scripts()
        connection = self.connection(None)
        self.send_counted = connection.register_script(self.lua_send_counted)
        self.pop_with_content = connection.register_script(self.lua_pop_with_content)
        self.take = connection.register_script(self.lua_take)
        self.read_channel_statistics = connection.register_script(self.lua_channel_statistics)

    ### Statistics ###

    def channel_statistics(self, channel):
        """asgi_redis's ``statistics`` extension, each shard's share read in one script call."""
        totals = {self.STAT_MESSAGES_COUNT: 0, self.STAT_MESSAGES_PENDING: 0,
                  self.STAT_MESSAGES_MAX_AGE: 0, self.STAT_CHANNEL_FULL: 0}
        for index in self.shards_of(channel):
            prefix = self.stats_prefixes[index] + channel + ":"
            keys = [self.key_prefixes[index] + channel, prefix + self.STAT_MESSAGES_COUNT,
                    prefix + self.STAT_CHANNEL_FULL]
            count, full, pending, ttl = self.read_channel_statistics(
                keys=keys, client=self.connection(index))
            totals[self.STAT_MESSAGES_COUNT] += count
            totals[self.STAT_CHANNEL_FULL] += full
            totals[self.STAT_MESSAGES_PENDING] += pending
            if ttl >= 0:
                totals[self.STAT_MESSAGES_MAX_AGE] = max(totals[self.STAT_MESSAGES_MAX_AGE],
                                                         self.expiry - ttl)
        return totals

    def global_statistics(self):
        """asgi_redis's totals over every channel, summed over the shards."""
        totals = {self.STAT_MESSAGES_COUNT: 0, self.STAT_CHANNEL_FULL: 0}
        for index in range(self.ring_size):
            prefix = self.stats_prefixes[index] + self.global_stats_key + ":"
            pipeline = self.connection(index).pipeline(transaction=False)
            for stat in totals:
                pipeline.get(prefix + stat)
            for stat, value in zip(list(totals), pipeline.execute()):
                totals[stat] += int(value or 0)
        return totals

    ### Sending ###

    def _send_now(self, channel, connection, keys, args):
        """Send and wait for Redis; returns [the list's new length, messages ever pushed to it]."""
        try:
            return self.send_counted(keys=keys, args=args, client=connection)
        except redis.exceptions.ResponseError as error:
            if error.args[0] != "full":
                raise
            self._report_full(channel)
            raise self.ChannelFull(channel)

    def send_group(self, group, message):
        """Every member's send in one pipelined trip per Redis server; full members are reported."""
        assert self.valid_group_name(group), "Group name not valid"
        sends = [(channel, message) for channel in self.group_channels(group)]
        self._send_pipelined(sends, group)

    def _send_pipelined(self, sends, group=""):
        """Send ``[(channel, message), ...]`` in one trip per Redis host; returns the pairs refused as full.

        The script goes by its hash (EVALSHA) straight into the pipeline:
        redis-py's pipelined Script objects first ask Redis whether the
        script exists (SCRIPT EXISTS), one more round trip per pipeline.
        """
        calls, connections = {}, {}
        for channel, message in sends:
            connection, keys, args = self._send_call(channel, message, group)
            host = self.host_group(self._connection_list.index(connection))
            connections.setdefault(host, connection)
            calls.setdefault(host, []).append(((channel, message), keys, args))
        refused = []
        for host, host_calls in calls.items():
            results = self._evalsha_all(connections[host], host_calls)
            for (sent, _, _), result in zip(host_calls, results):
                if isinstance(result, redis.exceptions.ResponseError):
                    if result.args[0] != "full":
                        raise result
                    self._report_full(sent[0], group or None)
                    refused.append(sent)
        return refused

    def _evalsha_all(self, connection, calls):
        """send_counted for every (_, keys, args), pipelined; loads the script once if Redis lost it."""
        pipeline = connection.pipeline(transaction=False)
        for _, keys, args in calls:
            pipeline.evalsha(self.send_counted.sha, len(keys), *(keys + args))
        results = pipeline.execute(raise_on_error=False)
        missing = [i for i, r in enumerate(results) if isinstance(r, redis.exceptions.NoScriptError)]
        if missing:  # a restarted Redis: nothing of those ran, so they go again, in order
            connection.script_load(self.lua_send_counted)
            retried = self._evalsha_all(connection, [calls[i] for i in missing])
            for i, result in zip(missing, retried):
                results[i] = result
        return results

    def _send_call(self, channel, message, group="", front=False):
        """The connection, keys and args of one send_counted call (asgi_redis's layout)."""
        assert isinstance(message, dict), "message is not a dict"
        assert self.valid_channel_name(channel), "Channel name not valid"
        assert "__asgi_channel__" not in message
        if "!" in channel:
            message = dict(message, __asgi_channel__=channel)
            channel = self.non_local_name(channel)
        if "!" in channel or "?" in channel:
            index = self.consistent_hash(channel)
        else:
            index = next(self._send_index_generator)
        prefix, stats_prefix = self.key_prefixes[index], self.stats_prefixes[index]
        stats = stats_prefix + channel + ":"
        global_stats = stats_prefix + self.global_stats_key + ":"
        keys = [
            prefix + random_hex(),
            prefix + channel,
            stats + self.STAT_MESSAGES_COUNT,
            global_stats + self.STAT_MESSAGES_COUNT,
            stats + self.STAT_CHANNEL_FULL,
            global_stats + self.STAT_CHANNEL_FULL,
            stats_prefix + "drops",
        ]
        args = [
            self.serialize(message), self.expiry, self.get_capacity(channel),
            self.channel_statistics_expiry, self.global_statistics_expiry,
            channel_pattern(channel), ("group:" + group) if group else "",
            "front" if front else "back",
        ]
        return self.connection(index), keys, args

    def _report_full(self, channel, group=None):
        if group:
            logger.warning("Group %s: channel %s is full (capacity %s); message dropped",
                           group, channel, self.get_capacity(self.non_local_name(channel)))
        else:
            logger.warning("Channel %s is full (capacity %s); send refused with ChannelFull",
                           channel, self.get_capacity(self.non_local_name(channel)))

    def drop_counts(self):
        """{field: count} of full-channel refusals, summed over every Redis host."""
        counts = {}
        for index, connection in enumerate(self._connection_list):
            for field, value in connection.hgetall(self.stats_prefixes[index] + "drops").items():
                field = field.decode("utf8")
                counts[field] = counts.get(field, 0) + int(value)
        return counts

    ### Groups ###

    def group_channels(self, group):
        """asgi_redis's expiry sweep and member read in one trip."""
        key = self._group_key(group)
        pipeline = self.connection(self.consistent_hash(group)).pipeline(transaction=False)
        pipeline.zremrangebyscore(key, 0, int(time.time()) - self.group_expiry)
        pipeline.zrange(key, 0, -1)
        return [name.decode("utf8") for name in pipeline.execute()[1]]

    ### Serialization ###

    def serialize(self, message):
        """asgi_redis's msgpack bytes (str as str, bytes as bin), from compiled code."""
        value = ormsgpack.packb(message)
        if self.crypter:
            value = self.crypter.encrypt(value)
        return value

    def deserialize(self, message):
        if self.crypter:
            message = self.crypter.decrypt(message, self.expiry + 10)
        return ormsgpack.unpackb(message)

    def _fetched(self, found, connection):
        """A pop's ``[list, content, ...]``, each moved content fetched where the cluster keeps it now.

        One that expired meanwhile (nowhere to be found) is left out, as the
        script leaves out the ones it sees expired.
        """
        if not self.cluster:
            return found
        pairs = []
        for i in range(0, len(found), 2):
            content = found[i + 1]
            if content is not None and content[:1] == MOVED:
                content = self.take(keys=[content[1:]], args=[0, ""], client=connection)[0]
                if content is None:
                    continue
            pairs += [found[i], content]
        return pairs

    def _unpack(self, list_name, content):
        if isinstance(list_name, bytes):
            list_name = list_name.decode("utf8")
        channel = list_name[self.name_start:]
        message = self.deserialize(content)
        if "__asgi_channel__" in message:
            channel = message.pop("__asgi_channel__")
        return channel, message
