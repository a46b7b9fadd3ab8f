"""The layer's hooks against a real Redis: which operations become which events in the stream.

The layer is driven directly (as a worker's consumer drives it), with a
registered watcher so its Tap reports; the events are read back from the
Redis stream the relay reads. Park, requeue and drop are hard to provoke on
cue through daphne, so they are checked here.
"""
import json
import time

import pytest

from channels_kit.inspector.layer import InspectedRedisChannelLayer
from channels_kit.inspector.relay import Relay
from channels_kit.inspector.tap import Tap


WATCHER = "daphne.response.TestTestTe!watcher"


@pytest.fixture
def layer(split):
    url = split.redis_url.rsplit("/", 1)[0] + "/5"  # a database the split does not use
    layer = InspectedRedisChannelLayer(hosts=[url], capacity=2)
    layer.flush()
    yield layer
    layer.inspector.stop()
    layer.flush()


def watched(layer):
    layer.inspector.watch(WATCHER)
    deadline = time.monotonic() + 5 * Tap.poll_seconds
    while not layer.inspector.watching:
        assert time.monotonic() < deadline, "the tap never noticed the watcher"
        time.sleep(0.05)
    return layer


def stream(layer, count):
    """The first ``count`` events in the stream (waits for the tap to ship them)."""
    deadline = time.monotonic() + 5
    while True:
        entries = layer.inspector.connection.execute_command(
            "XRANGE", layer.inspector.stream_key, "-", "+")
        if len(entries) >= count or time.monotonic() > deadline:
            return [json.loads(fields[1]) for _, fields in entries]
        time.sleep(0.05)


def ops(events):
    return [(e["op"], e["channel"]) + ((e["group"],) if "group" in e else ()) for e in events]


def test_nothing_is_reported_while_no_inspector_is_open(layer):
    """Unwatched operations leave nothing to ship; once watched, only the later ones reach the stream.

    No sleep in the hope the tap polled: the hooks decide on the message
    path, so nothing queued now means nothing can be shipped later, and the
    stream read after watching would show the unwatched events first if any
    had been kept.
    """
    layer.send("websocket.receive", {"text": "unseen"})
    layer.receive(["websocket.receive"])
    assert not layer.inspector.watching and not layer.inspector.queue

    watched(layer)
    layer.send("websocket.receive", {"text": "seen"})
    layer.receive(["websocket.receive"])
    events = stream(layer, 2)
    assert ops(events) == [("send", "websocket.receive"), ("receive", "websocket.receive")]
    assert [e.get("content") for e in events][0] == {"text": "seen"}


def test_park_and_requeue_of_enforce_ordering(layer):
    watched(layer)
    wait = "__wait__.daphne.response.AbCdEfGhIj?kLmN"
    layer.send(wait, {"order": 2, "original_channel": "websocket.receive"})
    channel, content = layer.receive([wait])  # requeue_messages, inside a consumer
    content.pop("original_channel")
    layer.send("websocket.receive", content)
    events = stream(layer, 2)
    assert ops(events) == [("park", wait), ("requeue", "websocket.receive")]
    assert events[1]["content"] == {"order": 2}


def test_group_send_counts_members_and_a_full_member_is_a_drop(layer):
    watched(layer)
    room, full = "reply?room-a", "reply?room-b"
    layer.group_add("room-x", room)
    layer.group_add("room-x", full)
    layer.send(full, {"text": "1"})
    layer.send(full, {"text": "2"})
    layer.send_group("room-x", {"text": "hi"})
    events = stream(layer, 7)
    assert ops(events) == [
        ("group_add", room, "room-x"), ("group_add", full, "room-x"),
        ("send", full), ("send", full),
        ("drop", full, "room-x"),
        ("group_send", None, "room-x"), ("send", room, "room-x"),
    ]
    assert events[5]["members"] == 2
    assert {e["role"] for e in events} == {"process"}


def test_the_inspectors_own_messages_are_not_reported(layer):
    watched(layer)
    layer.send("websocket.receive", {"path": "/inspector/", "reply_channel": "daphne.x!own",
                                     "text": "mine"})
    layer.send("websocket.receive", {"path": "/echo/", "reply_channel": "daphne.x!other",
                                     "text": "theirs"})
    assert [e["content"]["text"] for e in stream(layer, 1)] == ["theirs"]


def test_a_watcher_nobody_renews_is_forgotten(layer):
    # The relay of the watcher's daphne renews it every poll; if that daphne
    # died, every process must stop reporting by itself. The TTL is cut only
    # once the tap has seen the watcher: cut before, the tap's next poll may
    # come more than a TTL after the watch and forget it unseen.
    watched(layer)
    layer.inspector.watcher_ttl = 1
    deadline = time.monotonic() + 3 * Tap.poll_seconds + 1
    while layer.inspector.watching:
        assert time.monotonic() < deadline, "a stale watcher kept the inspector open"
        time.sleep(0.05)
    assert layer.inspector.connection.zcard(layer.inspector.watchers_key) == 0


def test_past_its_rate_a_process_drops_events_and_the_relay_counts_them(layer):
    watched(layer)
    layer.inspector.rate = 0  # no refill: only the tokens set here
    layer.inspector.tokens = 2
    for n in range(3):
        layer.send("numbers.%d" % n, {"n": n})  # one channel each: the fixture's hold two
    layer.inspector.tokens = 1
    layer.send("numbers.3", {"n": 3})
    events = stream(layer, 3)
    assert [e["channel"] for e in events] == ["numbers.0", "numbers.1", "numbers.3"]
    relay = Relay.__new__(Relay)
    relay.numbers = {}
    assert relay.count_gaps(events) == 1  # what a watching page is told: 1 dropped
