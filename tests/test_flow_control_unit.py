"""FlowControlledLayer on asgiref's in-memory layer, with a clock the test moves."""
import json

import pytest
from asgiref.inmemory import ChannelLayer

from channels_kit.flow_control import FlowControlledLayer


class Clock:
    now = 100.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return Clock()


def limited(clock, **limits):
    return FlowControlledLayer(ChannelLayer(), clock=clock, **limits)


def open_socket(layer, reply="daphne.response.x!a", client="10.0.0.1"):
    layer.send("websocket.connect", {"reply_channel": reply, "path": "/chat/r/",
                                     "client": [client, 5000], "order": 0})
    return reply


def frame(layer, reply, order, text="hi"):
    layer.send("websocket.receive", {"reply_channel": reply, "path": "/chat/r/",
                                     "order": order, "text": text})


def drain(layer, channel):
    """Every message waiting on ``channel`` (a reply channel is read through its process prefix)."""
    listen = channel.split("!")[0] + "!" if "!" in channel else channel
    got = []
    while True:
        name, message = layer.receive([listen])
        if name is None:
            return [m for n, m in got if n == channel]
        got.append((name, message))


def test_frames_within_the_burst_pass_through(clock):
    layer = limited(clock, rate=1, burst=5)
    reply = open_socket(layer)
    for order in range(1, 6):
        frame(layer, reply, order)
    assert [m["order"] for m in drain(layer, "websocket.receive")] == [1, 2, 3, 4, 5]
    assert drain(layer, reply) == []


def test_flooder_is_told_and_closed_with_4500_and_later_frames_dropped(clock):
    layer = limited(clock, rate=1, burst=3)
    reply = open_socket(layer)
    for order in range(1, 11):
        frame(layer, reply, order)
    assert len(drain(layer, "websocket.receive")) == 3
    [answer] = drain(layer, reply)
    assert json.loads(answer["text"])["error"] == "rate-limited"
    assert answer["close"] == 4500
    clock.now += 60  # tokens refill, but a refused socket stays refused
    frame(layer, reply, 11)
    assert drain(layer, "websocket.receive") == []


def test_tokens_refill_at_the_rate(clock):
    layer = limited(clock, rate=2, burst=2)
    reply = open_socket(layer)
    frame(layer, reply, 1)
    frame(layer, reply, 2)
    clock.now += 0.5  # one token back
    frame(layer, reply, 3)
    assert len(drain(layer, "websocket.receive")) == 3
    assert drain(layer, reply) == []


def test_refused_socket_disconnect_follows_the_last_frame_workers_got(clock):
    layer = limited(clock, rate=1, burst=2)
    reply = open_socket(layer)
    for order in range(1, 6):
        frame(layer, reply, order)
    layer.send("websocket.disconnect", {"reply_channel": reply, "path": "/chat/r/",
                                        "code": 1000, "order": 6})
    [disconnect] = drain(layer, "websocket.disconnect")
    assert disconnect["order"] == 3  # frames 1 and 2 were queued, then the disconnect


def test_oversized_frame_gets_4501(clock):
    layer = limited(clock, max_frame=10)
    reply = open_socket(layer)
    frame(layer, reply, 1, text="x" * 11)
    assert drain(layer, "websocket.receive") == []
    [answer] = drain(layer, reply)
    assert (json.loads(answer["text"])["error"], answer["close"]) == ("frame-too-large", 4501)


def test_connections_per_client_are_bounded_and_released(clock):
    layer = limited(clock, max_per_client=2)
    first = open_socket(layer, "daphne.response.x!1")
    open_socket(layer, "daphne.response.x!2")
    third = open_socket(layer, "daphne.response.x!3")
    other = open_socket(layer, "daphne.response.x!4", client="10.0.0.2")
    assert len(drain(layer, "websocket.connect")) == 3  # the third never reaches a worker
    [answer] = drain(layer, third)
    assert (json.loads(answer["text"])["error"], answer["close"]) == ("too-many-connections", 4502)
    assert drain(layer, other) == []
    layer.send("websocket.disconnect", {"reply_channel": third, "order": 1, "code": 1000})
    assert drain(layer, "websocket.disconnect") == []  # no worker saw it connect
    layer.send("websocket.disconnect", {"reply_channel": first, "order": 1, "code": 1000})
    open_socket(layer, "daphne.response.x!5")
    assert len(drain(layer, "websocket.connect")) == 1


def test_other_channels_pass_through_untouched(clock):
    layer = limited(clock, rate=1, burst=1, max_frame=1, max_per_client=1)
    layer.send("http.request", {"reply_channel": "http.response.x!y", "path": "/"})
    assert len(drain(layer, "http.request")) == 1
