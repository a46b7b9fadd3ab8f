"""The channel-layer inspector: ``/inspector/``, staff only, one JSON frame per layer event.

Teaches: what crosses the channel layer, hop by hop; the consumer only
checks who may watch, the relay lives in channels_kit.inspector.

Each frame is ``{"ts", "role", "pid", "op", "channel", "group"?,
"members"?, "content"?, "consumer"?, "ms"?}`` (docs/architecture.md). The
mechanism lives in ``channels_kit.inspector``; this module only decides
who may watch: anonymous sockets are refused with ``login-required``
(4201), logged-in users who are not active staff with ``staff-required``
(4203). Frames the page sends are ignored: pausing and filtering happen in
the browser.

The user comes from the login cookie on connect (``http_session_user``);
no channel session is kept, since no later message reads one, so there is
nothing for ``enforce_ordering`` to protect.
"""
from channels.auth import http_session_user
from channels.routing import route

from channels_kit import privileged
from channels_kit.client_errors import reports_client_errors
from channels_kit.decorators import staff_required
from channels_kit.inspector.consumers import unwatch, watch
from channels_kit.origin import same_origin_only


@same_origin_only
@http_session_user
@reports_client_errors
@staff_required
def connect(message):
    watch(message)
    # Ends this socket (4205) when the user logs out or loses staff.
    privileged.hold(message, message.user)


def receive(message):
    """Nothing to do: the page filters and pauses on its side."""


def disconnect(message):
    unwatch(message)


routes = [
    route("websocket.connect", connect),
    route("websocket.receive", receive),
    route("websocket.disconnect", disconnect),
]
