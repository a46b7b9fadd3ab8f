"""The catch-all route: a WebSocket path no feature serves.

Unrouted, a ``websocket.connect`` is never answered: the worker logs "Could
not find match" and the client hangs until daphne gives up on the handshake
(5 s) and drops it. Routed here, the client is told at once: a JSON error
``not-found`` and close code 4004. It must stay the LAST line of routing.py.
"""
from channels.routing import route

from channels_kit.client_errors import ClientError, reports_client_errors
from channels_kit.origin import same_origin_only


@same_origin_only
@reports_client_errors
def connect(message):
    raise ClientError("not-found", "no WebSocket endpoint at %s" % message.content.get("path"))


def ignore(message):
    """Frames and the disconnect that can still arrive after the refusal."""


routes = [
    route("websocket.connect", connect),
    route("websocket.receive", ignore),
    route("websocket.disconnect", ignore),
]
