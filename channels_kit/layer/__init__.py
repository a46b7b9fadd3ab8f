"""The Redis channel layer the split runs on: asgi_redis, tuned and made loud.

In Channels 1.x every frame crosses the channel layer twice: daphne sends
``websocket.receive`` into Redis, a runworker pops it, runs the consumer and
sends the reply into daphne's process-local response list, which daphne pops
and writes to the socket. The layer's round trips to Redis are therefore the
cost of every message, and asgi_redis 1.4.3 spends more of them than it
needs. The layer is split by the process that uses each part:

- ``core.py``: what every process shares: the scripts, the keys of a send,
  serialization, groups, and sends that wait for Redis;
- ``daphne_side.py``: daphne's reactor sends, the reports its flow control
  registers for, and its native (Twisted) receive;
- ``worker_side.py``: the workers' receives, ordered requeues and batches;
- ``parking.py``: the parked wait channels and workers' heartbeats that
  ``channels_kit.worker.ordering_gaps`` reads;
- ``memberships.py``: group joins listed under the daphne that owns the
  socket, which keeps them fresh and prunes a dead daphne's;
- ``packing.py``: hiredis-packed connections; ``roles.py``: what each
  collaborator asks of a layer, and ``unwrap``.

``RedisChannelLayer`` below composes them; it is the backend settings name.
"""
from channels_kit.layer.core import WAIT_PREFIX, LayerCore, channel_pattern, random_hex
from channels_kit.layer.daphne_side import DaphneSide
from channels_kit.layer.memberships import Memberships
from channels_kit.layer.packing import (HiredisPackedConnection, HiredisPackedProtocol,
                                        HiredisPackedSentinelConnection)
from channels_kit.layer.parking import Parking
from channels_kit.layer.worker_side import WorkerSide

__all__ = [
    "RedisChannelLayer", "WAIT_PREFIX", "channel_pattern", "random_hex",
    "HiredisPackedConnection", "HiredisPackedProtocol", "HiredisPackedSentinelConnection",
]


class RedisChannelLayer(DaphneSide, WorkerSide, Parking, Memberships, LayerCore):
    """The kit's Redis layer: each process role's part over the shared core.

    Its sends are a worker's until the layer becomes daphne's
    (``serve_daphne``); which they are is decided then, once, not at each send.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # How this process's sends go: a worker's, until serve_daphne.
        self.sends = self._send_from_worker

    def send(self, channel, message):
        return self.sends(channel, message)

    def serve_daphne(self, reactor):
        """Make the layer daphne's: its sends report to the flow control from now on.

        With ``reactor`` (daphne's native mode has begun, so the reactor's
        connections can be used), they go out without waiting while their
        channel is far from full.
        """
        self.in_reactor = self.in_reactor or reactor
        self.sends = self._send_from_reactor if self.in_reactor else self._send_and_place
