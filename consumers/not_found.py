"""The catch-all route: a WebSocket path no feature serves.

Teaches: what the router does with a path nobody routed. Stock ``runworker``
calls ``Router.check_default()``, which appends an accept-all
``websocket.connect`` consumer and do-nothing receive and disconnect ones:
an unrouted socket is silently accepted from any Origin, and its frames go
nowhere. (A connect that hangs for daphne's handshake timeout and is then
dropped is what happens when no worker runs at all.) Routed here, the
client is told at once: a JSON error ``not-found`` and close code 4004. It
must stay the LAST line of routing.py, ahead of the defaults.
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
