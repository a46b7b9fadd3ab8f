"""A sharded layer: two redis-servers, two daphnes, their workers, one room across both.

Every process gets REDIS_URL with both servers, so asgi_redis places each
channel and group on one of them by a hash of its name. A room whose members
sit on different daphnes only works if both daphnes, both workers and the
group agree on where everything lives.
"""
import json

import pytest
import redis
import websocket
from asgi_redis import RedisChannelLayer

from tests.support.splits import running_split
from tests.support.wire import recv_json


ROOMS = ["north", "blue", "green", "amber"]


@pytest.fixture(scope="module")
def sharded(tmp_path_factory):
    with running_split("sharded", tmp_path_factory.mktemp("sharded"), webs=2, shards=2) as running:
        yield running


def test_the_rooms_used_here_live_on_both_shards(sharded):
    layer = RedisChannelLayer(hosts=sharded.redis_urls)
    assert {layer.consistent_hash("room-%s" % room) for room in ROOMS} == {0, 1}


def test_a_room_spans_both_daphnes(sharded):
    first_daphne, second_daphne = sharded.ws_urls
    for room in ROOMS:
        path = "/chat/%s/" % room
        # Each page is served by the daphne its socket goes to: its own origin.
        alice = websocket.create_connection(first_daphne + path, timeout=10,
                                            origin=first_daphne.replace("ws:", "http:"))
        bob = websocket.create_connection(second_daphne + path, timeout=10,
                                          origin=second_daphne.replace("ws:", "http:"))
        try:
            alice.send(json.dumps({"text": "from daphne 1"}))
            assert recv_json(bob)["text"] == "from daphne 1"
            bob.send(json.dumps({"text": "from daphne 2"}))
            heard = [recv_json(alice)["text"] for _ in range(2)]
            assert heard == ["from daphne 1", "from daphne 2"]
        finally:
            alice.close()
            bob.close()


def test_each_rooms_group_lives_on_the_redis_its_name_hashes_to(sharded):
    layer = RedisChannelLayer(hosts=sharded.redis_urls)
    servers = [redis.Redis.from_url(url) for url in sharded.redis_urls]
    sockets = [websocket.create_connection(sharded.ws_urls[0] + "/chat/%s/" % room,
                                           origin=sharded.url, timeout=10) for room in ROOMS]
    try:
        for room in ROOMS:
            key = layer._group_key("room-%s" % room)
            holders = [n for n, server in enumerate(servers) if server.exists(key)]
            assert holders == [layer.consistent_hash("room-%s" % room)], room
    finally:
        for sock in sockets:
            sock.close()
