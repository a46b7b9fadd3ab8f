"""Full channels are never silent: the tuned layer logs and counts them, layerstats shows them.

Real Redis (the split's server, on a database the split does not use) and the
real management command in a subprocess, as an operator would run it.
"""
import json
import logging
import os
import subprocess
import sys
import time

import pytest

from channels_kit.layer import RedisChannelLayer, channel_pattern
from tests.support.clocks import set_layer_clock
from tests.support.paths import ROOT


DB = 2


@pytest.fixture
def tiny(split):
    """A layer whose every channel holds two messages, flushed before and after."""
    url = split.redis_url.rsplit("/", 1)[0] + "/%d" % DB
    layer = RedisChannelLayer(hosts=[url], capacity=2)
    layer.flush()
    yield layer
    layer.flush()


def layerstats(layer, *args):
    env = dict(os.environ, REDIS_URL=layer.hosts[0])
    return subprocess.run([sys.executable, "manage.py", "layerstats", *args], cwd=ROOT, env=env,
                          check=True, capture_output=True, text=True).stdout


def test_full_send_raises_logs_and_is_counted(tiny, caplog):
    tiny.send("bench.full", {"n": 1})
    tiny.send("bench.full", {"n": 2})
    with caplog.at_level(logging.WARNING, logger="channels_kit.layer"):
        with pytest.raises(tiny.ChannelFull):
            tiny.send("bench.full", {"n": 3})
    assert "Channel bench.full is full (capacity 2)" in caplog.text
    assert tiny.drop_counts() == {"bench.full": 1}
    # The two that fitted are still there, in order.
    assert [tiny.receive(["bench.full"])[1]["n"] for _ in range(2)] == [1, 2]


def test_group_send_to_full_member_is_counted_and_shown_by_layerstats(tiny, caplog):
    full, room = tiny.new_channel("reply?"), tiny.new_channel("reply?")
    tiny.group_add("room-red", full)
    tiny.group_add("room-red", room)
    tiny.send(full, {"text": "a"})
    tiny.send(full, {"text": "b"})
    with caplog.at_level(logging.WARNING, logger="channels_kit.layer"):
        tiny.send_group("room-red", {"text": "hello"})
    # The member with room still got it; the full one was skipped, loudly.
    assert tiny.receive([room])[1] == {"text": "hello"}
    assert "Group room-red: channel %s is full" % full in caplog.text
    assert tiny.drop_counts() == {"reply?*": 1, "group:room-red": 1}

    out = layerstats(tiny)
    assert "channels_kit.inspector.layer.InspectedRedisChannelLayer" in out  # the default
    assert [line.split() for line in out.splitlines() if "room-red" in line] == [["group:room-red", "1"]]
    assert [line.split() for line in out.splitlines() if "reply?*" in line] == [["reply?*", "1"]]
    assert "refused as full" in out


def test_layerstats_json_has_queue_depths(tiny):
    tiny.send("websocket.receive", {"order": 1})
    stats = json.loads(layerstats(tiny, "--json"))
    assert stats["channels"]["websocket.receive"]["messages_pending"] == 1
    assert stats["channels"]["websocket.receive"]["capacity"] == 1000  # settings' CHANNEL_CAPACITY
    assert stats["drops"] == {}


def test_statistics_of_a_channel_whose_oldest_message_is_gone(tiny):
    """A list still names a message whose content is gone (expired, or taken by a worker
    between asgi_redis's LINDEX and TTL): the statistics count it as pending, with no age.

    asgi_redis reads the TTL of that missing key as None and raises TypeError, which made
    /metrics answer 500 during a rolling restart; the stock layer shows it.
    """
    from asgi_redis import RedisChannelLayer as StockLayer
    tiny.send("websocket.receive", {"order": 1})
    client = tiny.connection(0)
    gone = client.lindex(tiny.prefix + "websocket.receive", 0)
    client.delete(gone)
    with pytest.raises(TypeError):
        StockLayer(hosts=tiny.hosts).channel_statistics("websocket.receive")
    stats = tiny.channel_statistics("websocket.receive")
    assert (stats["messages_pending"], stats["messages_max_age"], stats["messages_count"]) == (1, 0, 1)

    tiny.send("websocket.receive", {"order": 2})
    client.lpop(tiny.prefix + "websocket.receive")  # the gone one taken off: the next is oldest
    assert tiny.channel_statistics("websocket.receive")["messages_pending"] == 1


def test_layerstats_shows_workers_beating_and_sockets_held_back(tiny, monkeypatch):
    """layerstats, a new process, may take seconds to start on a busy machine: beats and
    parks stamped an hour ahead are still fresh, and an hour back long stuck, when it looks."""
    clock = set_layer_clock(monkeypatch, time.time() + 3600)
    tiny.worker_beat("worker-a", tiny.private_client())
    tiny.send("__wait__.daphne.response.AbCdEfGhIj?kLmN", {"order": 2})  # parked, moving
    clock.now -= 2 * 3600
    tiny.worker_beat("worker-b", tiny.private_client())  # silent for an hour
    tiny.send("__wait__.daphne.response.ZyXwVuTsRq?pOnM", {"order": 5})  # parked, stuck
    monkeypatch.undo()

    stats = json.loads(layerstats(tiny, "--json"))["ordering"]
    assert stats == {"workers_beating": 1, "worker_lost_s_ago": None,
                     "parked_sockets": 2, "stuck_sockets": 1}
    out = layerstats(tiny)
    assert "Workers beating: 1; last lost: none in the last minute" in out
    assert "Sockets with parked messages: 2, stuck for 2s or more: 1" in out


def test_channel_patterns_star_only_random_parts():
    assert channel_pattern("daphne.response.AbCdEfGhIj!kLmNoPqRsTuV") == "daphne.response.*!*"
    assert channel_pattern("__wait__.daphne.response.AbCdEfGhIj?kLmN") == "__wait__.daphne.response.*?*"
    assert channel_pattern("websocket.disconnect") == "websocket.disconnect"


@pytest.mark.django_db(databases=[])
def test_layerstats_on_the_in_memory_layer_says_what_it_needs():
    from django.core.management import CommandError, call_command
    with pytest.raises(CommandError, match="needs the Redis layer"):
        call_command("layerstats")


def test_tuned_and_stock_layers_read_each_others_messages(tiny):
    """ormsgpack in the tuned layer writes the bytes stock asgi_redis (msgpack) reads, and back."""
    from asgi_redis import RedisChannelLayer as StockLayer
    stock = StockLayer(hosts=tiny.hosts, capacity=2)
    message = {"reply_channel": "daphne.response.AbCdEfGhIj!kLmN", "path": "/echo/", "order": 3,
               "headers": [[b"origin", b"http://127.0.0.1"]], "text": "h\u00e9llo", "bytes": None}
    assert tiny.serialize(message) == stock.serialize(message)
    tiny.send("interop", message)
    assert stock.receive(["interop"]) == ("interop", message)
    stock.send("interop", message)
    assert tiny.receive(["interop"]) == ("interop", message)
