"""RouteCache answers exactly as Router.match does, for the project's routing and odd messages."""
import pytest
from channels.message import Message
from channels.routing import Router, include, route

from channels_kit.worker.route_cache import RouteCache


class NoLayer:
    pass


def message(channel, **content):
    return Message(content, channel, NoLayer())


def consumer_a(message):
    pass


def consumer_b(message):
    pass


ROUTING = [
    include([route("websocket.receive", consumer_a)], path=r"^/echo/$"),
    include([route("websocket.receive", consumer_b, method=r"^POST$")],
            path=r"^/chat/(?P<room>[^/]+)/$"),
    route("websocket.receive", consumer_a),
]

MESSAGES = [
    ("websocket.receive", {"path": "/echo/", "text": "x"}),
    ("websocket.receive", {"path": "/chat/red/", "method": "POST"}),
    ("websocket.receive", {"path": "/chat/blue/", "method": "POST"}),
    ("websocket.receive", {"path": "/chat/red/", "method": "GET"}),
    ("websocket.receive", {"path": "/chat/red/"}),  # no method: a different answer than None
    ("websocket.receive", {"path": "/chat/red/", "method": None}),
    ("websocket.connect", {"path": "/echo/"}),
    ("websocket.receive", {"path": ["not", "hashable"]}),
]


def outcome(match, channel, content):
    """What routing this message gives: an answer, or the error it raises (a path that is not text)."""
    try:
        return match(message(channel, **content))
    except TypeError as error:
        return "TypeError: %s" % error


@pytest.mark.parametrize("channel,content", MESSAGES)
def test_same_answer_as_the_router_first_time_and_from_the_table(channel, content):
    router = Router(ROUTING)
    cache = RouteCache(router)
    expected = outcome(router.match, channel, content)
    assert outcome(cache.match, channel, content) == expected
    assert outcome(cache.match, channel, content) == expected


def test_every_call_gets_its_own_kwargs():
    cache = RouteCache(Router(ROUTING))
    first = cache.match(message("websocket.receive", path="/chat/red/", method="POST"))
    first[1]["room"] = "changed by a consumer"
    again = cache.match(message("websocket.receive", path="/chat/red/", method="POST"))
    assert again == (consumer_b, {"room": "red"})


def test_routing_with_a_custom_routable_is_not_cached():
    class Anything:
        def match(self, message):
            return (consumer_a, {}) if message.get("text") == "special" else None

        def channel_names(self):
            return {"websocket.receive"}

    cache = RouteCache(Router([Anything(), route("websocket.receive", consumer_b)]))
    assert cache.keys is None
    assert cache.match(message("websocket.receive", text="special"))[0] is consumer_a
    assert cache.match(message("websocket.receive", text="plain"))[0] is consumer_b


def test_the_project_routing_is_cacheable():
    from channels import channel_layers
    assert RouteCache(channel_layers["default"].router).keys == ["path"]
