"""The Redis channel layer the split runs on: asgi_redis, tuned and made loud.

In Channels 1.x every frame crosses the channel layer twice: daphne sends
``websocket.receive`` into Redis, a runworker pops it, runs the consumer and
sends the reply into daphne's process-local response list, which daphne pops
and writes to the socket. The layer's round trips to Redis are therefore the
cost of every message. asgi_redis 1.4.3 spends more of them than it needs:

- ``receive_twisted`` (daphne's native mode) builds a new txredisapi pool of
  ten connections for every message and tears it down afterwards; daphne's
  other mode polls and sleeps 50 ms whenever its list is empty.
- a receive is BLPOP, then GET, then DEL (three trips); a send is the send
  script plus a second script for the statistics counters (two trips); a
  group send is two trips per member.
- a send that meets a full channel inside ``Group.send`` is dropped with a
  bare ``pass``: nothing logged, nothing counted where anyone looks.

This subclass keeps asgi_redis's storage layout (message keys, list per
channel, sorted set per group, statistics keys), so the stock
``global_statistics()`` / ``channel_statistics()`` and any other asgi_redis
process on the same Redis keep working, and changes only how it gets there:

- ``receive_twisted`` keeps ONE connection per Redis host for the life of
  the process: a BLPOP, then one script that takes the message and up to
  ``twisted_batch`` more from process-local (``!``) channels, which only
  this process reads. Daphne then runs in twisted mode.
- daphne's own sends (every frame it reads) go out on a second connection
  without blocking its reactor while the channel is far from full.
- ``receive`` pops and fetches in one script call while there is a backlog,
  and BLPOPs (plus one script) when the channels ran dry.
- ``send`` is one script (capacity check, store, push and counters).
- ``send_group`` pipelines every member's send into one round trip, by
  script hash (redis-py's pipelined scripts would add a SCRIPT EXISTS trip).
- for the kit's batching runworker: ``receive_batch`` takes up to K queued
  messages in one trip and ``send_many`` sends a batch's replies in one.
- for ``enforce_ordering``: a message requeued from a wait channel goes to
  the head of its channel, and a worker that just parked a message pauses
  a moment, so two workers stop parking each other's next messages. Which
  wait channels hold messages, and since when they last moved, is kept in
  Redis, with the workers' heartbeats, for ``channels_kit.ordering_gaps``.
- redis-py 2.10 and txredisapi build every command in Python (about 10
  microseconds for a send, several times that in txredisapi); the layer's
  connections, daphne's included, have hiredis build them (the same bytes).
- messages are packed with ormsgpack (compiled) instead of msgpack-python
  0.5.6, which has no compiled part on Python 3.11; the bytes are the same.
- every full channel is logged at WARNING and counted in the Redis hash
  ``<stats_prefix>drops`` (field: channel pattern, and ``group:<name>`` for
  group sends); ``manage.py layerstats`` prints it.
"""
import functools
import logging
import random
import re
import threading
import time
from collections import deque

import asgi_redis
import hiredis
import ormsgpack
import redis
import redis.sentinel
import txredisapi
from asgi_redis.twisted_utils import defer
from twisted.python import failure

from channels_kit import sentinel

logger = logging.getLogger("channels_kit.layer")

# The random parts of a reply / single-reader channel name: the segment just
# before "!" or "?" (daphne's process id) and everything after it.
RANDOM_PARTS = re.compile(r"(?<=\.)[A-Za-z0-9]+(?=[!?])|(?<=[!?])[^.!?]+")

# How enforce_ordering's wait channels begin (channels.sessions.wait_channel_name).
WAIT_PREFIX = "__wait__."


@functools.lru_cache(maxsize=4096)  # few distinct names: one per channel, one per daphne
def channel_pattern(channel):
    """The channel's name with its random parts starred: one counter per kind of channel.

    "daphne.response.AbCdEfGhIj!kLmN" -> "daphne.response.*!*"; names without
    "!" or "?" ("websocket.receive") are their own pattern.
    """
    return RANDOM_PARTS.sub("*", channel)


# Argument types hiredis writes exactly as redis-py 2.10 and txredisapi do
# (str as UTF-8, int in decimal); bool, float and the rest are left to them.
HIREDIS_AS_IS = (bytes, str, int)


class HiredisPacking:
    """Commands packed by hiredis, byte for byte as redis-py would (a connection mixin).

    Bytes and str (redis-py's default UTF-8) go to hiredis as they are;
    everything else (ints, floats, redis-py's Tokens) is encoded by redis-py
    first, so every argument means exactly what it meant before.
    """

    def pack_command(self, *args):
        encode = self.encoder.encode
        parts = args[0].split() if " " in args[0] else [args[0]]
        parts.extend(arg if type(arg) in HIREDIS_AS_IS else encode(arg) for arg in args[1:])
        return [hiredis.pack_command(tuple(parts))]


class HiredisPackedConnection(HiredisPacking, redis.connection.Connection):
    """A redis-py connection whose commands are packed by hiredis."""


class HiredisPackedSentinelConnection(HiredisPacking, redis.sentinel.SentinelManagedConnection):
    """The same, on whichever server the Sentinels name the master."""


class HiredisPackedProtocol(txredisapi.RedisProtocol):
    """txredisapi's protocol (daphne's connections) with commands packed by hiredis.

    txredisapi builds every command argument by argument in Python; in
    daphne's profile under an echo load that was a tenth of its busy time.
    Commands whose arguments are all str, bytes or int (every command the
    layer sends) are packed by hiredis into the same bytes.
    """

    def _build_command(self, *args, **kwargs):
        if all(type(arg) in HIREDIS_AS_IS for arg in args):
            return hiredis.pack_command(args)
        return super()._build_command(*args, **kwargs)


class ReceiveState(threading.local):
    """What one worker thread remembers between its receives and sends (defaults per thread)."""

    # The last receive found the channels empty: the next one BLPOPs first.
    blocked = False
    # The message last taken from an enforce_ordering wait channel (it goes
    # back to the head of its channel when the consumer requeues it).
    from_wait = None
    # The message key of the message requeued last in this consumer run.
    requeued_key = None
    # This consumer run parked a message in a wait channel.
    parked = False
    # Parks in a row, for the back-off after parking.
    streak = 0
    # When this thread last parked a message (time.monotonic()).
    parked_at = float("-inf")


class RedisChannelLayer(asgi_redis.RedisChannelLayer):

    # Process-local messages fetched per script call in receive_twisted.
    twisted_batch = 100
    # A worker's pause after parking a message for enforce_ordering, doubled
    # for each park in a row up to the maximum (seconds).
    park_pause = 0.001
    park_pause_max = 0.008
    # How long a worker that parked a message takes one message per receive_batch (seconds).
    unbatched_after_park = 1.0

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

    # Pop up to ARGV[1] messages from the lists KEYS[first..], in order,
    # appending {list, content} pairs to `out`; skips messages whose content
    # expired. Shared by the two scripts below.
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

    ### Outages (daphne) ###
    # Called with (channel, message) when a send daphne made without waiting
    # was lost with the connection to Redis; daphne's layer wrapper
    # (channels_kit.flow_control) sets it to hold the frame again.
    on_send_lost = None
    # Called with (channel, message, place) once for every send daphne makes,
    # when Redis has answered it: ``place`` is where the message stands in its
    # list (for ``still_queued``), or None if it was not queued (the channel
    # was full, or Redis could not be reached). Daphne's flow control sets it
    # to count each socket's frames that the workers have not taken yet.
    on_queued = None
    # txredisapi's reconnection delays (seconds): first retry, then growing
    # by e each time up to the maximum. Its defaults (1 s, 10 s) kept daphne
    # deaf for up to 10 s after a Redis restart.
    reconnect_delay = 0.1
    reconnect_delay_max = 0.5
    # After a failed receive, daphne's reader waits this long before its next
    # call; daphne itself would sleep 5 s.
    receive_retry_delay = 0.2

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The Redis hash of full-channel refusals, by channel pattern and group.
        self.drops_key = self.stats_prefix + "drops"
        # Daphne's txredisapi connections: host index -> receives, ("send", index) -> sends.
        self._twisted_connections = {}
        # The thread of daphne's reactor, once receive_twisted has run in it.
        self._reactor_thread = None
        # Per list: its length as Redis last reported it, and sends not yet answered.
        self._list_lengths = {}
        self._unanswered = {}
        # Per (list, host index): (messages ever pushed, messages taken off) as
        # Redis last reported them; see still_queued.
        self._queue_marks = {}
        # Messages taken in a batch by receive_twisted and not yet handed out, per list.
        self._twisted_buffers = {}
        # receive_twisted's list names per tuple of process-local channels.
        self._local_list_names = {}
        # Per worker thread: see ReceiveState.
        self._local = ReceiveState()
        # Ordering gaps: wait channels with messages, by last progress (per
        # host); the workers' beats and when one last went silent (first host).
        self.parked_key = self.prefix + "parked"
        self.workers_key = self.prefix + "workers"
        self.worker_lost_key = self.prefix + "worker-lost"

    def _generate_connections(self, hosts, redis_kwargs):
        """asgi_redis's clients, on hiredis-packed connections (redis:// and sentinel:// hosts)."""
        # The clients' options, for the pools of their own that private_client makes.
        self._redis_kwargs = redis_kwargs
        return [self._client(host, redis_kwargs) for host in hosts]

    @staticmethod
    def _client(host, redis_kwargs):
        if sentinel.is_sentinel_url(host):
            return sentinel.master_client(host, redis_class=redis.Redis,
                                          connection_class=HiredisPackedSentinelConnection,
                                          **redis_kwargs)
        if host.startswith("redis://"):
            redis_kwargs = dict(redis_kwargs, connection_class=HiredisPackedConnection)
        return redis.Redis.from_url(host, **redis_kwargs)

    def _register_scripts(self):
        super()._register_scripts()
        connection = self.connection(None)
        self.send_counted = connection.register_script(self.lua_send_counted)
        self.pop_with_content = connection.register_script(self.lua_pop_with_content)
        self.take = connection.register_script(self.lua_take)
        self.pop_parked = connection.register_script(self.lua_pop_parked)
        self.claim_stalled = connection.register_script(self.lua_claim_stalled)
        self.count_lost_workers = connection.register_script(self.lua_count_lost_workers)

    ### Sending ###

    def send(self, channel, message):
        if threading.get_ident() == self._reactor_thread:
            return self._send_from_reactor(channel, message)
        if self.on_queued is not None:
            return self._send_and_place(channel, message)
        front = message is self._local.from_wait
        self._local.from_wait = None
        connection, keys, args = self._send_call(channel, message, front=front)
        if front:
            # The next requeued message goes right behind this one, keeping
            # the wait channel's order (a plain LPUSH each would reverse it).
            args.append(self._local.requeued_key or "")
            self._local.requeued_key = keys[0]
        self._send_now(channel, connection, keys, args)
        if channel.startswith(WAIT_PREFIX):
            self._local.parked = True
            self._local.parked_at = time.monotonic()
            self._note_parked(channel, connection)

    def _send_now(self, channel, connection, keys, args):
        """Send and wait for Redis; returns [the list's new length, messages ever pushed to it]."""
        try:
            return self.send_counted(keys=keys, args=args, client=connection)
        except redis.exceptions.ResponseError as error:
            if error.args[0] != "full":
                raise
            self._report_full(channel)
            raise self.ChannelFull(channel)

    def _send_from_reactor(self, channel, message):
        """Daphne's sends, without stopping its reactor for a round trip while there is room.

        Daphne 1.4 sends every frame it reads with a blocking call from its
        reactor thread: no socket is served while Redis answers. While the
        list's length (as Redis last reported it, plus this process's sends
        not yet answered) is under half its capacity, the send goes out on a
        txredisapi connection and the reactor carries on; the script still
        enforces the capacity, and a refusal is logged and counted like any
        other. Nearer to full, the send waits for Redis as before, so daphne
        still gets ChannelFull and closes the socket (1013 / 503).
        """
        connection, keys, args = self._send_call(channel, message)
        name, capacity = keys[1], args[2]
        queued = self._list_lengths.get(name, 0) + self._unanswered.get(name, 0)
        if queued >= capacity // 2:
            # The length Redis reports lets the next sends go asynchronous again.
            return self._send_and_place(channel, message, (connection, keys, args))
        index = self._connection_list.index(connection)
        twisted_connection = self._twisted_connection(("send", index))
        if not self._connected(twisted_connection):
            # Not (yet, or no longer) connected: txredisapi would hold the
            # send until it reconnects, out of anyone's sight. Waiting for
            # Redis instead raises at once while Redis is down.
            return self._send_and_place(channel, message, (connection, keys, args))
        self._unanswered[name] = self._unanswered.get(name, 0) + 1
        sent = self._evalsha_twisted(twisted_connection, keys, args)
        sent.addBoth(self._answered, channel, name, index, message)

    def _evalsha_twisted(self, twisted_connection, keys, args):
        """send_counted by its hash, straight on the connection's one protocol.

        txredisapi's handler wraps every call in a closure and a generator
        that looks for a pooled connection, and its ``eval`` encodes and
        hashes the script again each time: a large share of daphne's CPU
        per echo went there (docs/performance.md, item 20, has the
        same-run figures). Each of daphne's connections
        here is a pool of one, so its protocol is the connection. Redis
        without the script (flushed, or restarted under the connection)
        gets it the way ``eval`` sends it, in the order of the replies.
        """
        pool = twisted_connection._factory.pool
        if not pool:
            return twisted_connection.eval(self.lua_send_counted, keys, args)
        sent = pool[0].execute_command("EVALSHA", self.send_counted.sha, len(keys), *keys, *args)
        return sent.addErrback(self._script_missing, twisted_connection, keys, args)

    def _script_missing(self, failed, twisted_connection, keys, args):
        if failed.check(txredisapi.ResponseError) and str(failed.value).startswith("NOSCRIPT"):
            return twisted_connection.eval(self.lua_send_counted, keys, args)
        return failed

    def _send_and_place(self, channel, message, call=None):
        """Send and wait for Redis, then tell ``on_queued`` where the message stands (or that it failed)."""
        connection, keys, args = call or self._send_call(channel, message)
        try:
            answer = self._send_now(channel, connection, keys, args)
        except BaseException:
            self._placed(channel, message, None)
            raise
        index = self._connection_list.index(connection)
        self._placed(channel, message, self._mark(keys[1], index, answer))

    def refresh_queued(self, channel):
        """Ask every host how far ``channel``'s list has been taken; a Deferred fired once all answered.

        ``still_queued`` (and the capacity estimate above) read the answers.
        Every send's answer brings the same news; this is for when daphne
        has nothing to send.
        """
        name = self.prefix + channel
        counter = self.stats_prefix + channel + ":" + self.STAT_MESSAGES_COUNT
        asked = []
        for index in range(len(self._connection_list)):
            connection = self._twisted_connection(("send", index))
            if self._connected(connection):
                answer = connection.eval(self.lua_queue_mark, [name, counter])
                # An error is an outage: the flow control hears of it on its own.
                asked.append(answer.addCallbacks(
                    lambda answer, index=index: self._mark(name, index, answer),
                    lambda failure: None))
        return defer.DeferredList(asked)

    def still_queued(self, place):
        """Whether the message sent at ``place`` was still in its list when Redis last answered.

        A list is first in, first out, so once Redis has reported ``taken``
        messages taken off it, the messages pushed ``taken`` or earlier are
        gone. A place past every message pushed means the counter started
        again (Redis restarted or flushed): that message is gone too.
        """
        name, index, pushed_as = place
        pushed, taken = self._queue_marks.get((name, index), (0, 0))
        return taken < pushed_as <= pushed

    def _mark(self, name, index, answer):
        """Remember a list's length and push count from Redis; returns the place of its last message."""
        length, pushed = int(answer[0]), int(answer[1])
        self._list_lengths[name] = length
        self._queue_marks[name, index] = (pushed, pushed - length)
        return (name, index, pushed)

    def _placed(self, channel, message, place):
        if self.on_queued is not None:
            self.on_queued(channel, message, place)

    def _answered(self, result, channel, name, index, message):
        self._unanswered[name] -= 1
        if not isinstance(result, failure.Failure):
            return self._placed(channel, message, self._mark(name, index, result))
        self._placed(channel, message, None)
        if result.check(txredisapi.ResponseError) and "full" in str(result.value):
            self._report_full(channel)
        elif result.check(txredisapi.ConnectionError) and self.on_send_lost is not None:
            self.on_send_lost(channel, message)
        else:
            logger.error("Send to %s lost: %s", channel, result.getErrorMessage())

    def send_group(self, group, message):
        """Every member's send in one pipelined trip per Redis host; full members are reported."""
        assert self.valid_group_name(group), "Group name not valid"
        sends = [(channel, message) for channel in self.group_channels(group)]
        self._send_pipelined(sends, group)

    def _send_pipelined(self, sends, group=""):
        """Send ``[(channel, message), ...]`` in one trip per Redis host; returns the pairs refused as full.

        The script goes by its hash (EVALSHA) straight into the pipeline:
        redis-py's pipelined Script objects first ask Redis whether the
        script exists (SCRIPT EXISTS), one more round trip per pipeline.
        """
        calls = {}
        for channel, message in sends:
            connection, keys, args = self._send_call(channel, message, group)
            index = self._connection_list.index(connection)
            calls.setdefault(index, []).append(((channel, message), keys, args))
        refused = []
        for index, host_calls in calls.items():
            results = self._evalsha_all(self.connection(index), host_calls)
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
            connection = self.connection(self.consistent_hash(channel))
        else:
            connection = self.connection(next(self._send_index_generator))
        stats = self.stats_prefix + channel + ":"
        global_stats = self.stats_prefix + self.global_stats_key + ":"
        keys = [
            self.prefix + random_hex(),
            self.prefix + channel,
            stats + self.STAT_MESSAGES_COUNT,
            global_stats + self.STAT_MESSAGES_COUNT,
            stats + self.STAT_CHANNEL_FULL,
            global_stats + self.STAT_CHANNEL_FULL,
            self.drops_key,
        ]
        args = [
            self.serialize(message), self.expiry, self.get_capacity(channel),
            self.channel_statistics_expiry, self.global_statistics_expiry,
            channel_pattern(channel), ("group:" + group) if group else "",
            "front" if front else "back",
        ]
        return connection, keys, args

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
        for connection in self._connection_list:
            for field, value in connection.hgetall(self.drops_key).items():
                field = field.decode("utf8")
                counts[field] = counts.get(field, 0) + int(value)
        return counts

    def group_add(self, group, channel):
        """asgi_redis's ZADD and EXPIRE in one trip."""
        assert self.valid_group_name(group), "Group name not valid"
        assert self.valid_channel_name(channel), "Channel name not valid"
        group_key = self._group_key(group)
        pipeline = self.connection(self.consistent_hash(group)).pipeline(transaction=False)
        pipeline.zadd(group_key, **{channel: time.time()})
        pipeline.expire(group_key, self.group_expiry)
        pipeline.execute()

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

    ### Receiving (runworker, daphne --force-sync) ###

    def receive(self, channels, block=False):
        """One trip when a message is waiting; BLPOP first when the last receive had to wait.

        A message taken from an ``enforce_ordering`` wait channel is
        remembered: when the consumer sends it back to its original channel
        (``requeue_messages``), it goes to the head of the list, behind any
        message requeued just before it. It is older than everything queued
        behind it, and at the tail the socket's later messages would all be
        taken first and parked again, each time round.
        """
        if block:  # the worker's own loop, not requeue_messages inside a consumer
            self._back_off_after_parking()
        channel, message = self._receive(channels, block)
        waited = bool(channel) and channel.startswith(WAIT_PREFIX)
        self._local.from_wait = message if waited else None
        if channel and not waited:
            self._local.requeued_key = None  # a new consumer run: a new requeue sequence
        return channel, message

    def _back_off_after_parking(self):
        """Give the worker running a socket's earlier message time to finish.

        A consumer that just parked a message in a wait channel ran while
        another worker holds the socket's previous message. Taking the next
        message at once mostly takes the same socket's next one and parks it
        too (two workers made about four parks per ordered message). Pausing
        a little, longer after each park in a row (at most ``park_pause_max``
        seconds), lets the other worker finish and requeue first.
        """
        if self._local.parked:
            self._local.streak += 1
            time.sleep(min(self.park_pause * 2 ** (self._local.streak - 1), self.park_pause_max))
        else:
            self._local.streak = 0
        self._local.parked = False

    def _receive(self, channels, block):
        if not block and len(channels) == 1 and channels[0].startswith(WAIT_PREFIX):
            return self._take_parked(channels[0])
        indexes = self._receive_list_names(channels)
        if indexes is None:
            return None, None
        if not (block and self._local.blocked):
            for index, list_names in indexes.items():
                random.shuffle(list_names)  # as asgi_redis: no channel starves the others
                connection = self.connection(index)
                found = self.pop_with_content(keys=list_names, args=[1], client=connection)
                if found:
                    self._local.blocked = False
                    return self._unpack(found[0], found[1])
        if not block:
            return None, None
        self._local.blocked = True
        for index, list_names in indexes.items():
            connection = self.connection(index)
            popped = connection.blpop(list_names, timeout=self.blpop_timeout)
            if popped:
                content, left = self.take(keys=[popped[1], popped[0]], args=[0], client=connection)
                # A backlog behind it: the next receive pops without blocking.
                self._local.blocked = not left
                if content is not None:
                    return self._unpack(popped[0], content)
        return None, None

    ### Batches (the kit's runworker) ###

    def receive_batch(self, channels, limit):
        """Up to ``limit`` messages, ``[(channel, message), ...]``, in one trip while a backlog lasts.

        A worker that takes one message per trip spends a round trip (and
        the sleep and wake-up of a blocking read) on every message. Here one
        script pops up to ``limit`` queued messages with their contents. When
        the last call found fewer than ``limit``, the channels ran dry: this
        one BLPOPs (at most ``blpop_timeout`` seconds; ``[]`` if nothing came)
        and takes up to ``limit - 1`` more queued behind the popped one in the
        same script call as its content.

        For ``unbatched_after_park`` seconds after it parked a message for
        ``enforce_ordering``, it takes one message at a time. One socket's
        messages split between two workers' batches make the second worker
        park its whole batch while the first runs its own, then take and park
        the requeued ones again: 300 ordered messages took 2 to 13 s in
        batches of 8, against under 1 s one at a time.
        """
        self._back_off_after_parking()
        if time.monotonic() - self._local.parked_at < self.unbatched_after_park:
            limit = 1
        indexes = self._receive_list_names(channels)
        if indexes is None:
            return []
        if not self._local.blocked:
            for index, list_names in indexes.items():
                random.shuffle(list_names)  # as asgi_redis: no channel starves the others
                found = self.pop_with_content(keys=list_names, args=[limit],
                                              client=self.connection(index))
                if found:
                    self._local.blocked = len(found) < 2 * limit
                    return self._unpack_pairs(found)
        self._local.blocked = True
        for index, list_names in indexes.items():
            connection = self.connection(index)
            popped = connection.blpop(list_names, timeout=self.blpop_timeout)
            if popped:
                found = self.take(keys=[popped[1], popped[0]], args=[limit - 1], client=connection)
                self._local.blocked = not found[1]
                pairs = [popped[0], found[0]] + found[2:] if found[0] is not None else found[2:]
                return self._unpack_pairs(pairs)
        return []

    # Whether a batch's replies may wait for its last consumer (BatchWorker);
    # a layer that reports each consumer run as it happens says no.
    replies_wait_for_batch = True

    def start_consumer_run(self, channel, message):
        """A batched message's consumer begins: what it requeues is a new sequence (see receive)."""
        self._local.requeued_key = None

    def _unpack_pairs(self, found):
        return [self._unpack(found[i], found[i + 1]) for i in range(0, len(found), 2)]

    def send_many(self, sends):
        """Send ``[(channel, message), ...]`` in one pipelined trip per Redis host, in order.

        Returns the ``(channel, message)`` pairs refused as full (each one
        reported like any other refusal), for the caller to retry or drop.
        """
        return self._send_pipelined(sends)

    def _unpack(self, list_name, content):
        if isinstance(list_name, bytes):
            list_name = list_name.decode("utf8")
        channel = list_name[len(self.prefix):]
        message = self.deserialize(content)
        if "__asgi_channel__" in message:
            channel = message.pop("__asgi_channel__")
        return channel, message

    ### Ordering gaps (channels_kit.ordering_gaps) ###
    # The sorted set ``<prefix>parked`` (one per Redis host) holds every wait
    # channel with messages in it, scored by when it last made progress: when
    # its first message was parked, or when one was last taken out. A wait
    # channel whose score stays old while it still holds messages is stuck
    # behind a message nobody will run. Workers beat in ``<prefix>workers``
    # (first host); ``<prefix>worker-lost`` is when one was last found silent.

    # Take the first message still stored from a wait channel and note the
    # progress; when the channel is empty, it leaves the parked set. Atomic,
    # so a message parked at any moment is either taken here or recorded.
    # KEYS: wait list, parked set. ARGV: wait channel, now.
    lua_pop_parked = """
        local key = redis.call('lpop', KEYS[1])
        while key do
            local content = redis.call('get', key)
            if content then
                redis.call('del', key)
                redis.call('zadd', KEYS[2], 'XX', ARGV[2], ARGV[1])
                return {KEYS[1], content}
            end
            key = redis.call('lpop', KEYS[1])
        end
        redis.call('zrem', KEYS[2], ARGV[1])
        return {}
    """

    # Wait channels without progress since ARGV[1]: drop those already empty
    # (their messages expired); if ARGV[4] is '1', remove and return the rest,
    # so exactly one worker gets each. KEYS: parked set. ARGV: the time,
    # the layer's key prefix, how many at most, '1' to claim.
    lua_claim_stalled = """
        local out = {}
        local stalled = redis.call('zrangebyscore', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[3])
        for _, wait in ipairs(stalled) do
            if redis.call('llen', ARGV[2] .. wait) == 0 then
                redis.call('zrem', KEYS[1], wait)
            elseif ARGV[4] == '1' then
                redis.call('zrem', KEYS[1], wait)
                out[#out + 1] = wait
            end
        end
        return out
    """

    # Forget the workers whose last beat is older than ARGV[1] and, if there
    # were any, note ARGV[2] (now) as the last loss. Returns the last loss.
    # KEYS: workers set, last-loss key.
    lua_count_lost_workers = """
        local lost = redis.call('zrangebyscore', KEYS[1], '-inf', ARGV[1])
        if #lost > 0 then
            redis.call('zremrangebyscore', KEYS[1], '-inf', ARGV[1])
            redis.call('set', KEYS[2], ARGV[2], 'EX', ARGV[3])
        end
        return redis.call('get', KEYS[2])
    """

    def _note_parked(self, wait_channel, connection):
        """A message was parked: the wait channel joins the parked set (its first park's time kept)."""
        connection.execute_command("ZADD", self.parked_key, "NX", time.time(), wait_channel)

    def _take_parked(self, wait_channel):
        connection = self.connection(self.consistent_hash(wait_channel))
        found = self.pop_parked(keys=[self.prefix + wait_channel, self.parked_key],
                                args=[wait_channel, time.time()], client=connection)
        return self._unpack(found[0], found[1]) if found else (None, None)

    def parked_orders(self, wait_channel):
        """The ``order`` of every message waiting in a wait channel, without taking them."""
        connection = self.connection(self.consistent_hash(wait_channel))
        keys = connection.lrange(self.prefix + wait_channel, 0, -1)
        contents = connection.mget(keys) if keys else []
        return [self.deserialize(content).get("order") for content in contents if content]

    def requeue_parked(self, wait_channel):
        """Every message of a wait channel back to its original channel, as ``requeue_messages`` does."""
        self._local.requeued_key = None  # a new requeue sequence, kept in order
        while True:
            _, content = self.receive([wait_channel])
            if content is None:
                return
            self.send(content.pop("original_channel"), content)

    def stalled_wait_channels(self, idle_for, claim, limit=100):
        """Wait channels holding messages and without progress for ``idle_for`` seconds.

        With ``claim`` they leave the parked set, so no other worker gets
        them; without, only the empty ones left behind are cleared.
        """
        before = time.time() - idle_for
        stalled = []
        for connection in self._connection_list:
            found = self.claim_stalled(keys=[self.parked_key],
                                       args=[before, self.prefix, limit, "1" if claim else "0"],
                                       client=connection)
            stalled.extend(name.decode("utf8") for name in found)
        return stalled

    def ordering_state(self, silent_for, idle_for):
        """For layerstats: workers beating, and wait channels holding messages, stuck or not."""
        now = time.time()
        workers = self.connection(0).zcount(self.workers_key, now - silent_for, "+inf")
        lost = self.connection(0).get(self.worker_lost_key)
        parked = sum(c.zcard(self.parked_key) for c in self._connection_list)
        stuck = sum(c.zcount(self.parked_key, "-inf", now - idle_for) for c in self._connection_list)
        return {"workers_beating": workers, "worker_lost_s_ago": now - float(lost) if lost else None,
                "parked_sockets": parked, "stuck_sockets": stuck}

    def private_client(self):
        """A client of the first host on a connection pool of its own, for a thread of its own.

        redis-py 2.10's Sentinel pool disconnects every connection it holds
        when it finds a new master, those in use by other threads included.
        A heartbeat or the inspector's tap sharing the worker's pool, first
        to reconnect after a failover, closed the socket under the worker's
        BLPOP, and the worker died of the AttributeError that follows.
        """
        return self._client(self.hosts[0], self._redis_kwargs)

    def worker_beat(self, worker_id, client):
        client.execute_command("ZADD", self.workers_key, time.time(), worker_id)

    def worker_gone(self, worker_id, client):
        """A worker that stops on its own says so; only a silent one counts as lost."""
        client.zrem(self.workers_key, worker_id)

    def last_worker_lost(self, silent_for, remember):
        """When a worker last stopped beating for ``silent_for`` seconds (time.time()), or None.

        Finding one now records it, for ``remember`` seconds.
        """
        now = time.time()
        last = self.count_lost_workers(keys=[self.workers_key, self.worker_lost_key],
                                       args=[now - silent_for, now, int(remember) + 1],
                                       client=self.connection(0))
        return float(last) if last is not None else None

    ### Receiving (daphne's twisted mode) ###

    def receive_twisted(self, channels):
        """One long-lived connection per host; batches for process-local channels.

        Daphne calls this in a loop, one call at a time, for its own
        ``daphne.response.<id>!`` channel. Each call that finds nothing in
        memory is one BLPOP (which returns at once if a message is waiting)
        and one script that takes the popped message and, because only this
        process reads a ``!`` channel, up to ``twisted_batch`` more queued
        behind it: two trips per burst, not three per message.

        A message already in memory is handed out as a fired Deferred, with
        the list names worked out once: asgi_redis's name checks and an
        inlineCallbacks generator cost daphne more per reply than the rest
        of this call.
        """
        # From now on sends from this thread (daphne's reactor) need not block.
        self._reactor_thread = threading.get_ident()
        indexes = self._twisted_list_names(channels)
        if indexes is None:
            return defer.succeed((None, None))
        buffered = self._from_buffers(indexes)
        if buffered:
            return defer.succeed(buffered)
        return self._receive_twisted_from_redis(indexes)

    def _twisted_list_names(self, channels):
        """``_receive_list_names``, worked out once per list of process-local channels.

        Process-local channels live on the host their name hashes to, so the
        answer never changes; other channels rotate over the hosts.
        """
        key = tuple(channels)
        if not key or not all("!" in channel for channel in key):
            return self._receive_list_names(channels)
        if key not in self._local_list_names:
            self._local_list_names[key] = self._receive_list_names(channels)
        return self._local_list_names[key]

    @defer.inlineCallbacks
    def _receive_twisted_from_redis(self, indexes):
        for index, list_names in indexes.items():
            connection = self._twisted_connection(index)
            try:
                popped = yield connection.blpop(list_names, timeout=self.blpop_timeout)
                if popped:
                    local = all("!" in name for name in list_names)
                    found = yield connection.eval(
                        self.lua_take, keys=[popped[1]] + (list_names if local else []),
                        args=[self.twisted_batch if local else 0],
                    )
            except txredisapi.ConnectionError:
                yield self._pause(self.receive_retry_delay)
                defer.returnValue((None, None))
            if popped:
                self._buffer([popped[0], found[0]] + found[2:])
                buffered = self._from_buffers(indexes)
                if buffered:
                    defer.returnValue(buffered)
        defer.returnValue((None, None))

    def _twisted_connection(self, index):
        """The process's connection to host ``index`` (``("send", index)``: the one for sends)."""
        if index not in self._twisted_connections:
            host = index[1] if isinstance(index, tuple) else index
            kwargs = self.connection(host).connection_pool.connection_kwargs
            if sentinel.is_sentinel_url(self.hosts[host]):
                self._twisted_connections[index] = sentinel.twisted_master(
                    self.hosts[host], dbid=kwargs.get("db", 0), password=kwargs.get("password"),
                    charset=None, convertNumbers=False,
                )
            else:
                self._twisted_connections[index] = txredisapi.lazyConnection(
                    host=kwargs.get("host", "localhost"), port=kwargs.get("port", 6379),
                    dbid=kwargs.get("db", 0), password=kwargs.get("password"),
                    charset=None, convertNumbers=False,
                )
                # The factory builds its protocol when the connection is made (and
                # at every reconnect), after this call has returned.
                self._twisted_connections[index]._factory.protocol = HiredisPackedProtocol
            factory = self._twisted_connections[index]._factory
            factory.initialDelay, factory.maxDelay = self.reconnect_delay, self.reconnect_delay_max
        return self._twisted_connections[index]

    @staticmethod
    def _connected(twisted_connection):
        return bool(twisted_connection._factory.size)

    @staticmethod
    def _pause(seconds):
        from twisted.internet import reactor, task
        return task.deferLater(reactor, seconds, lambda: None)

    def _buffer(self, found):
        """Keep [list, content, ...] in order, per list; expired contents (None) are skipped."""
        for i in range(0, len(found), 2):
            if found[i + 1] is not None:
                name = found[i].decode("utf8") if isinstance(found[i], bytes) else found[i]
                self._twisted_buffers.setdefault(name, deque()).append(found[i + 1])

    def _from_buffers(self, indexes):
        for list_names in indexes.values():
            for name in list_names:
                buffer = self._twisted_buffers.get(name)
                if buffer:
                    return self._unpack(name, buffer.popleft())
        return None


def random_hex():
    """A message key as unique as asgi_redis's uuid4().hex, without building a UUID."""
    return "%032x" % random.getrandbits(128)
