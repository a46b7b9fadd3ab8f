"""The channel layer Daphne serves: ``daphne asgi:channel_layer`` from the repo root.

Workers (``manage.py runworker``) build the same layer from the same settings,
so both sides of the split meet on one Redis. Daphne's copy is wrapped twice:
in the per-socket limits and outage holding of ``channels_kit.flow_control``
(they must act where frames enter the layer, before a flood queues up in
front of other sockets, and while Redis cannot take them) and in the health
fallback of ``channels_kit.health`` (a health request still gets a 503 naming
Redis while Redis is down). ``in_daphne`` labels this process's inspector
events "daphne" and starts the thread that relays events to the inspector
sockets this daphne serves. ``daphne_speedups.apply()`` removes per-handshake
and per-frame work in daphne's pinned stack that changes nothing on the wire.
"""
import os

import channels_kit  # noqa: F401  (first: its shims precede channels; names a missing per-Python package)
import channels.asgi

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "channels_example.settings")

from django.conf import settings  # noqa: E402  (needs the settings module set)
from django.urls import reverse  # noqa: E402

from channels_kit.daphne import speedups as daphne_speedups  # noqa: E402
from channels_kit.daphne.flow_control import FlowControlledLayer  # noqa: E402
from channels_kit.daphne.health import AnswersHealthWhileRedisIsDown  # noqa: E402
from channels_kit.inspector import in_daphne  # noqa: E402
from channels_kit.daphne.redis_watch import RedisWatch  # noqa: E402

daphne_speedups.apply()
layer = channels.asgi.get_channel_layer()  # sets Django up, so URLs can be reversed
in_daphne(layer)
channel_layer = FlowControlledLayer(
    AnswersHealthWhileRedisIsDown(layer, path=reverse("health")),
    watch=RedisWatch.for_layer(layer),
    reconnect_paths=settings.WEBSOCKET_RECONNECT_PATHS,
    **settings.WEBSOCKET_LIMITS
)
