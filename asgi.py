"""The channel layer Daphne serves: ``daphne asgi:channel_layer`` from the repo root.

Workers (``manage.py runworker``) build the same layer from the same settings,
so both sides of the split meet on one Redis. Daphne's copy is wrapped in the
whole of the kit's daphne side by its one call, ``channels_kit.daphne.wrap_layer``:
per-socket limits and outage holding (they must act where frames enter the
layer, in daphne's own process), the Redis watch that tells it Redis is back,
the health fallback, the inspector relay and daphne's speedups. The limits are
``channels_kit.daphne.Limits``, with settings' ``WEBSOCKET_LIMITS`` over them.
"""
import os

import channels_kit.daphne  # first: its shims precede channels; names a missing per-Python package
import channels.asgi

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "channels_example.settings")

channel_layer = channels_kit.daphne.wrap_layer(channels.asgi.get_channel_layer())
