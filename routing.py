"""Channel routing: every WebSocket feature is one include() line here.

Each consumers module exposes ``routes`` (its connect / receive / disconnect
consumers, or a class-based consumer's ``as_route()``); the ``path`` here
decides where it lives.
"""
from channels.routing import include

channel_routing = [
    include("consumers.echo.routes", path=r"^/echo/$"),
    include("consumers.chat.routes", path=r"^/chat/$"),
    # Any single path segment routes here; the consumer refuses bad names
    # with a JSON error and close code 4100 instead of leaving them unrouted.
    include("consumers.rooms.routes", path=r"^/chat/(?P<room>[^/]+)/$"),
    include("consumers.whoami.routes", path=r"^/whoami/$"),
    include("consumers.letters.routes", path=r"^/letters/$"),
    include("consumers.notifications.routes", path=r"^/notifications/$"),
    include("consumers.live.routes", path=r"^/live/$"),
    include("consumers.cbc_chat.routes", path=r"^/cbc/chat/$"),
    include("consumers.json_echo.routes", path=r"^/json/$"),
    include("consumers.progress.routes", path=r"^/progress/$"),
    # Staff only; never reports its own traffic (channels_kit.inspector).
    include("consumers.inspector.routes", path=r"^/inspector/$"),
    include("consumers.terminal.routes", path=r"^/terminal/(?P<alias>[^/]+)/$"),
    # The classroom ladder under /lessons/, routed only with LESSONS=1 (docs/teaching.md).
    include("consumers.lessons.routes"),
    # Every HTTP request: Django's views, answered even when something fails around them.
    include("consumers.http.routes"),
    # Keep last: every other WebSocket path gets "not-found" and close 4004.
    include("consumers.not_found.routes"),
]
