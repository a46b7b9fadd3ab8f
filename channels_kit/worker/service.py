"""A dedicated service process: where a Channels 1.x site keeps a stateful backend.

Workers are stateless: any runworker may take any socket's next message, and
a consumer must return quickly so the worker can take the next one. An SSH
session, a serial port or a child process is the opposite: one long-lived
object with a read that blocks. Such objects live in ONE process of their
own, reached through the channel layer like any consumer:

- it receives on a shared channel, ``<name>.open``, and on one
  process-local list, ``<name>.input.<service id>!``, which carries the input
  of every object it owns (``<name>.input.<service id>!<object id>``, see
  ``input_channel``). Only this process reads that list; a restarted service
  has a new id, so input meant for the dead one is never handed to a
  stranger's object.
- it writes output straight to the socket's ``reply_channel``.
- it announces itself in Redis: a heartbeat key holding its id (it expires
  unless renewed), so a consumer can tell on connect and on every frame
  whether the service that owns its object still runs; a hash of the
  reply channels it serves, so the next service process can end those
  sockets' sessions (a frame and a close) instead of leaving them hanging;
  and a hash of each object's owner, so a consumer refuses a socket that
  names another user's object *before* it wires any input to it.

``ChannelService`` is the process's loop; ``ServiceDirectory`` is what a
worker consumer uses to find it. Subclasses say what an open and an input
message do.
"""
import logging
import random
import string
import time

from channels_kit.layer.roles import RedisBacked, layer_that, shard_prefix
from channels_kit.connections.redis_errors import REDIS_DOWN

logger = logging.getLogger("channels_kit.worker.service")


def input_channel(name, service_id, object_id):
    """The channel one object's input goes to: process-local to service ``service_id``."""
    return "%s.input.%s!%s" % (name, service_id, object_id)


def object_id_of(channel):
    """The object id at the end of an ``input_channel`` name."""
    return channel.split("!", 1)[1]


class ServiceDirectory:
    """Where a service's keys live in Redis (the layer's first host), for both sides."""

    # Seconds a heartbeat stays valid; the service renews it every
    # ``beat_every`` seconds, so a few missed beats mean it is gone.
    heartbeat_ttl = 5

    def __init__(self, name, layer):
        self.name = name
        # The asgi_redis layer under any wrappers (its connection() is
        # redis-py), or None: another backend keeps no services.
        self.layer = layer_that(RedisBacked, layer)
        self.heartbeat_key = "%sservice.%s" % (shard_prefix(self.layer, 0) if self.layer else "", name)
        self.sockets_key = self.heartbeat_key + ".sockets"
        self.owners_key = self.heartbeat_key + ".owners"

    @property
    def redis(self):
        return self.layer.connection(0)

    def running_id(self):
        """The id of the live service process, or None (none running, or no Redis layer)."""
        if self.layer is None:
            return None
        value = self.redis.get(self.heartbeat_key)
        return value.decode("ascii") if value else None

    def owner_of(self, object_id):
        """The owner a live object was opened for (as text), or None: no such object."""
        if self.layer is None:
            return None
        value = self.redis.hget(self.owners_key, object_id)
        return value.decode("utf8") if value else None


class ChannelService:
    """The loop of a service process that owns stateful objects reached over the layer.

    Subclasses set ``name`` and implement ``handle_open(message)``,
    ``handle_input(object_id, message)``, ``orphan_reply(object_id)`` and
    ``shutdown()`` (end every object, on stop). Timeouts belong to the
    objects themselves (the terminal's sessions run their own).
    ``objects`` maps object ids to what the subclass keeps for each.
    """

    name = None
    # Seconds between heartbeats; also the longest a receive blocks (an
    # integer: BLPOP before Redis 6 takes whole seconds).
    beat_every = 1

    def __init__(self, layer):
        # The asgi_redis layer the service receives on and sends with.
        self.layer = layer
        self.directory = ServiceDirectory(self.name, layer)
        # This process's id: a new one on every start.
        self.id = "".join(random.choice(string.ascii_letters) for _ in range(12))
        self.open_channel = self.name + ".open"
        self.input_list = "%s.input.%s!" % (self.name, self.id)
        # Object id -> the subclass's object; only the loop's thread adds.
        self.objects = {}
        # Set by a signal handler: the loop ends after its current receive.
        self.stopping = False
        self._last_beat = 0.0

    def input_channel(self, object_id):
        return input_channel(self.name, self.id, object_id)

    def run(self):
        self.layer.blpop_timeout = self.beat_every
        if not self.wait_for_redis():
            return
        logger.info("Listening on channels %s, %s (service id %s)",
                    self.open_channel, self.input_list, self.id)
        try:
            while not self.stopping:
                try:
                    self.step()
                except REDIS_DOWN as error:
                    logger.warning("Redis unavailable (%s); %s service retrying", error, self.name)
                    time.sleep(self.beat_every)
        finally:
            self.shutdown()
            self.forget_heartbeat()

    def wait_for_redis(self):
        """Wait until Redis serves, then take over from an earlier run; False if stopped.

        Started together, Redis may not listen yet; a Redis Cluster still
        forming answers PING but refuses every key, so the takeover itself
        is what is retried.
        """
        waiting = False
        while not self.stopping:
            try:
                self.end_orphans()
                self.beat()
                return True
            except REDIS_DOWN as error:
                if not waiting:
                    logger.warning("Redis unavailable (%s); %s service waiting for it", error, self.name)
                    waiting = True
                time.sleep(self.beat_every / 2)
        return False

    def step(self):
        channel, message = self.layer.receive([self.open_channel, self.input_list], block=True)
        if time.monotonic() - self._last_beat >= self.beat_every:
            self.beat()
        if channel == self.open_channel:
            self.handle_open(message)
        elif channel:
            self.dispatch_input(object_id_of(channel), message)

    def dispatch_input(self, object_id, message):
        """Input for an object; its open may still be queued behind it, so take opens first.

        The worker sent the open before the socket's first input, but a
        receive over two lists may pop the input first.
        """
        if object_id not in self.objects:
            self.take_queued_opens()
        self.handle_input(object_id, message)

    def take_queued_opens(self):
        while True:
            channel, message = self.layer.receive([self.open_channel], block=False)
            if not channel:
                return
            self.handle_open(message)

    def queued(self, channel):
        """Messages waiting in ``channel`` (for a reply channel: in its daphne's shared list).

        A service producing output faster than daphne takes it would fill
        Redis; checking this lets it stop reading its backend for a while,
        which pushes back on the backend (an SSH window fills, the remote
        program blocks) instead.
        """
        name = self.layer.non_local_name(channel)
        index = self.layer.consistent_hash(name)
        return self.layer.connection(index).llen(shard_prefix(self.layer, index) + name)

    ### Heartbeat and the sockets the service serves ###

    def beat(self):
        """Renew the heartbeat key; a different live id means a second service took over."""
        redis = self.directory.redis
        previous = redis.getset(self.directory.heartbeat_key, self.id)
        redis.expire(self.directory.heartbeat_key, self.directory.heartbeat_ttl)
        if previous and previous.decode("ascii") != self.id and self._last_beat:
            logger.error("Another %s service (%s) is running; there must be one",
                         self.name, previous.decode("ascii"))
        self._last_beat = time.monotonic()

    def forget_heartbeat(self):
        try:
            if self.directory.running_id() == self.id:
                self.directory.redis.delete(self.directory.heartbeat_key)
        except REDIS_DOWN:
            pass

    def remember_socket(self, object_id, reply_channel):
        self.directory.redis.hset(self.directory.sockets_key, object_id, reply_channel)

    def remember_owner(self, object_id, owner):
        """Record who may reach ``object_id`` (consumers check it before wiring input)."""
        self.directory.redis.hset(self.directory.owners_key, object_id, str(owner))

    def forget_socket(self, object_id):
        """Called when an object ends, also while Redis is down (then the next service tidies up)."""
        try:
            self.directory.redis.hdel(self.directory.sockets_key, object_id)
            self.directory.redis.hdel(self.directory.owners_key, object_id)
        except REDIS_DOWN:
            pass

    def end_orphans(self):
        """Tell the sockets of an earlier service process (killed, not stopped) that it is over."""
        redis = self.directory.redis
        orphans = redis.hgetall(self.directory.sockets_key)
        redis.delete(self.directory.sockets_key, self.directory.owners_key)
        for object_id, reply_channel in orphans.items():
            self.layer.send(reply_channel.decode("utf8"), self.orphan_reply(object_id.decode("utf8")))
        if orphans:
            logger.warning("Ended %d session(s) of an earlier %s service", len(orphans), self.name)

    ### For subclasses ###

    def orphan_reply(self, object_id):
        """The reply message (a frame and a close) for a socket whose object died with its service."""
        raise NotImplementedError

    def handle_open(self, message):
        raise NotImplementedError

    def handle_input(self, object_id, message):
        raise NotImplementedError

    def shutdown(self):
        """End every object: the process is stopping."""
