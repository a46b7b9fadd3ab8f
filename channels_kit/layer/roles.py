"""What each collaborator asks of a channel layer, named once, and the one way to find the layer.

A layer reaches the kit's collaborators under wrappers: Channels' own
(``ChannelLayerWrapper``, which keeps the backend as ``.channel_layer``) and
daphne's (flow control, health: ``.layer``). ``unwrap`` takes them all off,
and ``layer_that`` says whether what is underneath plays a role: the
in-memory layer and stock asgi_redis play fewer than the kit's. Each role
lists the names its callers use, so a layer method renamed without its
role fails the unit test that holds the composed backend to every role.
"""
from typing import Protocol, runtime_checkable

# The attributes wrappers keep what they wrap in: daphne's wrappers, then Channels'.
WRAPPED_AS = ("layer", "channel_layer")


def unwrap(layer):
    """The backend under every wrapper around ``layer`` (``layer`` itself if none)."""
    while True:
        held = getattr(layer, "__dict__", {})
        inner = next((held[name] for name in WRAPPED_AS if name in held), None)
        if inner is None:
            return layer
        layer = inner


def layer_that(role, layer):
    """The backend under ``layer`` if it plays ``role``, else None."""
    inner = unwrap(layer)
    return inner if isinstance(inner, role) else None


@runtime_checkable
class RedisBacked(Protocol):
    """A Redis layer (asgi_redis or the kit's): its clients, by host index, and its key prefix."""

    prefix: str
    blpop_timeout: float

    def connection(self, index): ...


def shard_prefix(layer, index):
    """The prefix of shard ``index``'s keys: the kit's layer tags them on Redis Cluster, asgi_redis never."""
    named = getattr(layer, "key_prefix", None)
    return named(index) if named is not None else layer.prefix


@runtime_checkable
class TakesBatches(Protocol):
    """What the kit's BatchWorker runs on: several messages per trip (``worker_side.py``)."""

    def receive_batch(self, channels, limit): ...


@runtime_checkable
class CountsDrops(Protocol):
    """A layer that counts its full-channel refusals (``core.py``)."""

    def drop_counts(self): ...


@runtime_checkable
class KeepsOrderingRecords(Protocol):
    """Parked wait channels and workers' heartbeats, for ``ordering_gaps`` (``parking.py``)."""

    expiry: int

    def private_client(self): ...

    def worker_beat(self, worker_id, client): ...

    def worker_gone(self, worker_id, client): ...

    def last_worker_lost(self, silent_for, remember): ...

    def stalled_wait_channels(self, idle_for, claim, limit=100): ...

    def parked_orders(self, wait_channel): ...

    def requeue_parked(self, wait_channel): ...

    def ordering_state(self, silent_for, idle_for): ...


@runtime_checkable
class KeepsMemberships(Protocol):
    """Group joins listed by the daphne that owns the socket (``memberships.py``)."""

    group_expiry: int

    def keep_members(self, open_channels, pruned=None): ...

    def sweep_departed(self, silent_for, pruned=None): ...


class Reports:
    """A layer that reports each of daphne's sends to daphne's flow control (a mixin).

    The flow control registers with ``report_to``; ``still_queued`` and
    ``refresh_queued`` answer what the reports' places mean.
    """

    # Called with (channel, message, place) once for every send daphne makes,
    # when Redis has answered it: ``place`` is where the message stands in its
    # list (for ``still_queued``), or None if it was not queued (the channel
    # was full, or Redis could not be reached).
    on_queued = None
    # Called with (channel, message) when a send daphne made without waiting
    # was lost with the connection to Redis.
    on_send_lost = None

    def report_to(self, queued, send_lost):
        """Send every report to these callbacks from now on; returns what answers ``still_queued``."""
        self.on_queued, self.on_send_lost = queued, send_lost
        return self

    def _placed(self, channel, message, place):
        if self.on_queued is not None:
            self.on_queued(channel, message, place)

    def still_queued(self, place):
        """Whether the message sent at ``place`` was still in its list when the layer last heard."""
        raise NotImplementedError

    def refresh_queued(self, channel):
        """Ask how far ``channel`` has been taken; a Deferred fired once the answer is in."""
        raise NotImplementedError


def made_once(made, layer, make):
    """``make(layer)``, kept in ``made`` (a WeakKeyDictionary) and reused for as long as ``layer`` lives.

    For what a layer's helpers build once per layer (a store that registers
    its scripts): not again for every message or every socket.
    """
    thing = made.get(layer)
    if thing is None:
        thing = made[layer] = make(layer)
    return thing
