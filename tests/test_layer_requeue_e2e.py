"""The tuned layer puts enforce_ordering's requeued messages back at the head, in order.

Real Redis, driven the way channels.sessions.requeue_messages drives it:
receive from the socket's wait channel, send the same message back to its
original channel.
"""
import pytest

from channels_kit.layer import RedisChannelLayer

pytestmark = pytest.mark.e2e


@pytest.fixture
def layer(split):
    url = split.redis_url.rsplit("/", 1)[0] + "/4"  # a database the split does not use
    layer = RedisChannelLayer(hosts=[url])
    layer.flush()
    yield layer
    layer.flush()


def test_requeued_messages_go_to_the_head_keeping_their_order(layer):
    wait = "__wait__.daphne.response.AbCdEfGhIj?kLmN"
    layer.send("websocket.receive", {"order": 9})  # a later message, already queued
    layer.send(wait, {"order": 2})
    layer.send(wait, {"order": 3})
    assert layer.receive(["websocket.receive"])[1] == {"order": 9}  # a consumer run starts
    layer.send("websocket.receive", {"order": 9})
    for _ in range(2):  # requeue_messages: wait channel -> original channel
        channel, content = layer.receive([wait])
        layer.send("websocket.receive", content)
    assert layer.receive([wait]) == (None, None)
    got = [layer.receive(["websocket.receive"])[1]["order"] for _ in range(3)]
    assert got == [2, 3, 9]


def test_other_sends_still_go_to_the_tail(layer):
    layer.send("websocket.receive", {"order": 1})
    layer.send("websocket.receive", {"order": 2})
    assert [layer.receive(["websocket.receive"])[1]["order"] for _ in range(2)] == [1, 2]
