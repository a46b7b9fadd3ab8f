"""Everything a daphne process wraps around the channel layer it serves, built by one call.

A project's ``asgi.py``::

    import channels_kit.daphne  # first: the kit's shims precede channels
    from channels.asgi import get_channel_layer
    channel_layer = channels_kit.daphne.wrap_layer(get_channel_layer())

(with ``DJANGO_SETTINGS_MODULE`` set). The pieces only work together: flow
control without the Redis watch holds frames through an outage and never
learns that Redis is back, so it refuses every new handshake with 503 while
``/health/`` says ok. Built here, none can be left out.
"""
from channels_kit.daphne import speedups
from channels_kit.daphne.drain import Drain
from channels_kit.daphne.flow_control import FlowControlledLayer
from channels_kit.daphne.health import AnswersHealthWhileRedisIsDown
from channels_kit.daphne.limits import Limits
from channels_kit.daphne.memberships import MembershipKeeper
from channels_kit.daphne.redis_watch import RedisWatch
from channels_kit.inspector import in_daphne

__all__ = ["Limits", "wrap_layer"]


def wrap_layer(layer, limits=None):
    """The layer daphne serves: ``layer`` inside the whole of daphne's side.

    ``layer`` is what ``channels.asgi.get_channel_layer()`` returned;
    ``limits`` defaults to ``Limits.from_settings()`` (the project's
    ``WEBSOCKET_LIMITS`` over the kit's defaults). Applies daphne's speedups,
    starts the inspector relay, and wraps the layer in the health fallback and
    in flow control, whose outage holding the Redis watch tells when Redis is
    back (or came back empty), and keeps the open sockets' group memberships.
    On SIGTERM, SIGINT or SIGHUP it drains before daphne exits (drain.py).
    """
    limits = limits if limits is not None else Limits.from_settings()
    speedups.apply()
    in_daphne(layer)
    flow = FlowControlledLayer(AnswersHealthWhileRedisIsDown(layer, path=limits.health_path),
                               limits=limits, watch=RedisWatch.for_layer(layer))
    if MembershipKeeper.start_for(layer, flow.sockets):
        # daphne closes a socket older than its layer's group_expiry, the age
        # at which its memberships used to lapse. Kept fresh, they no longer
        # do, so daphne gets its own one-day default back (--websocket_timeout
        # still overrides it).
        flow.group_expiry = MembershipKeeper.socket_lifetime
    Drain.install(flow, limits)
    return flow
