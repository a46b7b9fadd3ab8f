"""channels_kit: what a Channels 1.x deployment needs on today's Python.

A Django app with no models. Put ``"channels_kit"`` before ``"channels"`` in
INSTALLED_APPS (so ``manage.py runworker`` is the kit's), and use its pieces by
name: ``channels_kit.layer.RedisChannelLayer`` as the layer backend (or
``channels_kit.inspector.layer.InspectedRedisChannelLayer``, the same with
the live inspector's hooks: see ``channels_kit.inspector``),
``channels_kit.channel_sessions`` as CHANNEL_SESSION_ENGINE, and in your
asgi.py ``channels_kit.daphne.wrap_layer``, which wraps daphne's layer in the
whole of daphne's side (limits, outage holding, health, speedups) at once.
Both take ``sentinel://host:port,.../service`` hosts for Redis Sentinel
(``channels_kit.connections.sentinel``). The app also registers system
checks under the ``channels`` tag (``manage.py check --tag channels``;
docs/checks.md). For your own commands
that send, ``channels_kit.shared_layer.RequiresSharedLayer`` refuses a layer
no server shares; ``python -m channels_kit.operations.supervise`` runs a Procfile with
restarts, as systemd would.
"""
default_app_config = "channels_kit.apps.ChannelsKitConfig"

from channels_kit import compat
from channels_kit.http import request_limits

compat.apply()
request_limits.apply()
