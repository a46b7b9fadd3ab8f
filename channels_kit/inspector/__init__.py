"""A live view of the channel layer: every send, receive and group operation, as it happens.

The pieces, in the order an event travels:

- ``layer.py``: ``InspectedRedisChannelLayer``, the kit's Redis layer with a
  hook on every operation; it reports only while an inspector is open.
- ``redaction.py``: what of a message may be shown (no cookies, tokens,
  session keys or anything JWT-shaped).
- ``tap.py``: per process, whether anyone is watching (polled once a
  second) and a background thread that ships events into a capped stream.
- ``worker_hooks.py``: runworker's signals name each consumer and time it.
- ``relay.py``: a thread in daphne that reads the stream and sends each
  event to the inspector sockets that daphne serves.
- ``consumers.py``: what an inspector socket's consumers call to register.

A site routes a path to consumers that check who may watch and call
``watch`` / ``unwatch``, and calls ``in_daphne`` on the layer daphne serves.
"""
from channels_kit.inspector.relay import Relay


def in_daphne(layer):
    """Mark ``layer`` as daphne's and start its relay; a layer without an inspector is left alone.

    ``layer`` is what ``channels.asgi.get_channel_layer()`` returned.
    """
    inner = getattr(layer, "channel_layer", layer)
    tap = getattr(inner, "inspector", None)
    if tap is None:
        return None
    tap.role = "daphne"
    return Relay(inner).start()
