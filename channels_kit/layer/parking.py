"""Parking and heartbeats: the records ``channels_kit.worker.ordering_gaps`` reads and keeps.

The sorted set ``<prefix>parked`` (one per shard) holds every wait
channel with messages in it, scored by when it last made progress: when its
first message was parked, or when one was last taken out. A wait channel
whose score stays old while it still holds messages is stuck behind a
message nobody will run. Workers beat in ``<prefix>workers`` (first shard);
``<prefix>worker-lost`` is when one was last found silent.
"""
import time


class Parking:
    """Parked wait channels and the workers' heartbeats, kept in Redis (a mixin)."""

    ### Scripts ###

    # Take the first message still stored from a wait channel and note the
    # progress; when the channel is empty, it leaves the parked set. Atomic,
    # so a message parked at any moment is either taken here or recorded.
    # KEYS: wait list, parked set. ARGV: wait channel, now, 'ask' on a
    # cluster: a content missing here may sit on the other end of a moving
    # slot, so it is handed back as MOVED .. key for the layer to fetch.
    lua_pop_parked = """
        local key = redis.call('lpop', KEYS[1])
        while key do
            local content = redis.pcall('get', key)
            if type(content) == 'table' then content = false end
            if content then
                redis.call('del', key)
                redis.call('zadd', KEYS[2], 'XX', ARGV[2], ARGV[1])
                return {KEYS[1], content}
            elseif ARGV[3] == 'ask' then
                return {KEYS[1], '\\0' .. key}
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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Wait channels with messages, by last progress: one set per shard.
        self.parked_keys = [prefix + "parked" for prefix in self.key_prefixes]
        # The workers' beats, by time of the last one (first shard).
        self.workers_key = self.key_prefix(0) + "workers"
        # When a worker last went silent (first shard).
        self.worker_lost_key = self.key_prefix(0) + "worker-lost"

    def _register_scripts(self):
        super()._register_scripts()
        connection = self.connection(None)
        self.pop_parked = connection.register_script(self.lua_pop_parked)
        self.claim_stalled = connection.register_script(self.lua_claim_stalled)
        self.count_lost_workers = connection.register_script(self.lua_count_lost_workers)

    ### Parked wait channels ###

    def _note_parked(self, wait_channel, connection):
        """A message was parked: the wait channel joins the parked set (its first park's time kept)."""
        index = self.consistent_hash(wait_channel)
        connection.execute_command("ZADD", self.parked_keys[index], "NX", time.time(), wait_channel)

    def _take_parked(self, wait_channel):
        index, key = self.list_key(wait_channel)
        connection = self.connection(index)
        found = self.pop_parked(keys=[key, self.parked_keys[index]],
                                args=[wait_channel, time.time(), self.ask_moved], client=connection)
        found = self._fetched(found, connection)
        return self._unpack(found[0], found[1]) if found else (None, None)

    def parked_orders(self, wait_channel):
        """The ``order`` of every message waiting in a wait channel, without taking them."""
        index, key = self.list_key(wait_channel)
        connection = self.connection(index)
        keys = connection.lrange(key, 0, -1)
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
        for index, connection in enumerate(self._connection_list):
            found = self.claim_stalled(keys=[self.parked_keys[index]],
                                       args=[before, self.key_prefix(index), limit, "1" if claim else "0"],
                                       client=connection)
            stalled.extend(name.decode("utf8") for name in found)
        return stalled

    def ordering_state(self, silent_for, idle_for):
        """For layerstats: workers beating, and wait channels holding messages, stuck or not."""
        now = time.time()
        workers = self.connection(0).zcount(self.workers_key, now - silent_for, "+inf")
        lost = self.connection(0).get(self.worker_lost_key)
        shards = list(zip(self._connection_list, self.parked_keys))
        parked = sum(connection.zcard(key) for connection, key in shards)
        stuck = sum(connection.zcount(key, "-inf", now - idle_for) for connection, key in shards)
        return {"workers_beating": workers, "worker_lost_s_ago": now - float(lost) if lost else None,
                "parked_sockets": parked, "stuck_sockets": stuck}

    ### Heartbeats ###

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
