"""The tuned layer's enforce_ordering wait channels: requeues keep their order, parks are recorded.

Real Redis, driven the way channels.sessions.requeue_messages drives it:
receive from the socket's wait channel, send the same message back to its
original channel. The record of parked messages and the workers' beats are
what channels_kit.worker.ordering_gaps reads.
"""
import time

import pytest

from channels_kit.layer import RedisChannelLayer
from tests.support.clocks import set_layer_clock


@pytest.fixture
def layer(split):
    url = split.redis_url.rsplit("/", 1)[0] + "/4"  # a database the split does not use
    layer = RedisChannelLayer(hosts=[url])
    layer.flush()
    yield layer
    layer.flush()


WAIT = "__wait__.daphne.response.AbCdEfGhIj?kLmN"


def test_requeued_messages_go_to_the_head_keeping_their_order(layer):
    wait = WAIT
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


def park(layer, order):
    layer.send(WAIT, {"order": order, "original_channel": "websocket.receive"})


def test_a_parked_socket_is_claimed_once(layer):
    park(layer, 2)
    park(layer, 3)
    assert layer.parked_orders(WAIT) == [2, 3]
    assert layer.stalled_wait_channels(0, claim=True) == [WAIT]
    assert layer.stalled_wait_channels(0, claim=True) == []
    assert layer.parked_orders(WAIT) == [2, 3], "claiming takes no message"


@pytest.fixture
def clock(monkeypatch):
    return set_layer_clock(monkeypatch, time.time())


def test_taking_parked_messages_is_progress_and_an_empty_wait_channel_is_forgotten(layer, clock):
    park(layer, 2)
    park(layer, 3)
    clock.now += 10
    assert layer.receive([WAIT])[1]["order"] == 2
    assert layer.stalled_wait_channels(5, claim=True) == [], "it just moved"
    clock.now += 10
    assert layer.stalled_wait_channels(5, claim=False) == [], "not claimed without a loss"
    assert layer.stalled_wait_channels(5, claim=True) == [WAIT]
    park(layer, 4)
    assert layer.receive([WAIT])[1]["order"] == 3
    assert layer.receive([WAIT])[1]["order"] == 4
    assert layer.receive([WAIT]) == (None, None)
    assert layer.stalled_wait_channels(0, claim=True) == []


def test_only_a_worker_that_falls_silent_counts_as_lost(layer, clock):
    client = layer.private_client()
    layer.worker_beat("stays", client)
    layer.worker_beat("says-goodbye", client)
    layer.worker_beat("killed", client)
    assert layer.last_worker_lost(5, remember=60) is None
    layer.worker_gone("says-goodbye", client)
    clock.now += 10
    layer.worker_beat("stays", client)
    assert layer.last_worker_lost(5, remember=60) == pytest.approx(clock.now)
    lost_at = clock.now
    clock.now += 10
    layer.worker_beat("stays", client)
    assert layer.last_worker_lost(5, remember=60) == pytest.approx(lost_at), \
        "the loss is remembered, once"
