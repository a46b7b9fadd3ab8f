"""Where the layer puts its keys on shards and on Redis Cluster, and how the cluster client reads commands.

No server is needed: a layer's clients connect on first use, and these
tests only ask for names. The cluster behaviour itself (redirects, moved
slots, failovers) is tested on a real cluster in tests/e2e.
"""
import asgi_redis
import pytest

from channels_kit.connections import cluster
from channels_kit.connections.cluster_slots import SLOTS, slot_of
from channels_kit.layer import RedisChannelLayer
from channels_kit.layer.placement import shard_tags

NODES = ["redis://127.0.0.1:1/0"]  # never reached by these tests


def test_shards_keep_asgi_redis_key_names():
    """On plain Redis the keys are asgi_redis's own, so stock processes and statistics still read them."""
    hosts = ["redis://127.0.0.1:1/0", "redis://127.0.0.1:2/0"]
    kit, stock = RedisChannelLayer(hosts=hosts), asgi_redis.RedisChannelLayer(hosts=hosts)
    assert kit.key_prefixes == ["asgi:", "asgi:"]
    assert kit._group_key("room") == stock._group_key("room")
    _, keys, _ = kit._send_call("websocket.receive", {"text": "x"})
    assert keys[1] == "asgi:websocket.receive"
    assert keys[2] == "asgi-meta:websocket.receive:messages_count"
    assert kit._receive_list_names(["daphne.response.ab!"]) == stock._receive_list_names(
        ["daphne.response.ab!"])


def test_every_key_of_a_cluster_send_is_in_one_slot():
    layer = RedisChannelLayer(hosts=NODES, cluster=True)
    for channel in ("websocket.receive", "daphne.response.AbC!dEf", "http.request"):
        _, keys, _ = layer._send_call(channel, {"text": "x"})
        assert len({slot_of(key) for key in keys}) == 1, keys


def test_a_group_its_history_and_its_presence_share_the_group_shard():
    layer = RedisChannelLayer(hosts=NODES, cluster=True)
    index = layer.consistent_hash("room-7")
    prefix = layer.key_prefix(index)
    names = [layer._group_key("room-7"), prefix + "history:room-7", prefix + "presence:room-7"]
    assert len({slot_of(name) for name in names}) == 1
    assert layer.connection(index).home_slot == slot_of(names[0])


def test_workers_channels_live_on_the_first_shard_and_replies_spread():
    layer = RedisChannelLayer(hosts=NODES, cluster=True)
    assert layer._receive_list_names(["websocket.receive", "http.request"]) == {
        0: [layer.key_prefix(0) + "websocket.receive", layer.key_prefix(0) + "http.request"]}
    replies = {layer.consistent_hash("daphne.response.%08d!" % n) for n in range(200)}
    assert replies == set(range(layer.cluster_shards))


def test_shard_tags_are_one_length_and_spread_over_the_slot_space():
    tags = shard_tags(16)
    assert len({len(tag) for tag in tags}) == 1
    part = SLOTS // 16
    assert [slot_of("{%s}" % tag) // part for tag in tags] == list(range(16))
    assert shard_tags(16) == tags  # every process computes the same


def test_a_cluster_layer_names_no_key_without_its_shard_tag():
    layer = RedisChannelLayer(hosts=NODES, cluster=True)
    start = layer.name_start
    for index, prefix in enumerate(layer.key_prefixes):
        assert prefix.startswith("asgi:{") and prefix.endswith("}") and len(prefix) == start
    assert layer._unpack(layer.key_prefix(3) + "websocket.receive",
                         layer.serialize({"a": 1})) == ("websocket.receive", {"a": 1})
    assert layer.workers_key.startswith(layer.key_prefix(0))
    assert layer._owners_key().startswith(layer.key_prefix(0))


@pytest.mark.parametrize("args, key", [
    (("GET", "k"), "k"),
    (("BLPOP", "a", "b", 5), "a"),
    (("EVALSHA", "abc", 2, "k1", "k2", "arg"), "k1"),
    (("EVALSHA", "abc", 0, "arg"), None),
    (("XREAD", "COUNT", 5, "STREAMS", "s", "0-0"), "s"),
    (("SCRIPT LOAD", "return 1"), None),
    (("PING",), None),
    (("CLUSTER", "SLOTS"), None),
])
def test_the_cluster_client_routes_by_the_first_key(args, key):
    assert cluster.first_key(args) == key


def test_redirects_are_read_from_the_error_text():
    assert cluster.redirect("MOVED 3999 127.0.0.1:7002") == ("MOVED", 3999, ("127.0.0.1", 7002))
    assert cluster.redirect("ASK 12 10.0.0.5:6379") == ("ASK", 12, ("10.0.0.5", 6379))
    assert cluster.redirect("TRYAGAIN Multiple keys request during rehashing of slot") == (
        "TRYAGAIN", None, None)
    assert cluster.redirect("full") is None
    assert cluster.redirect("ERR unknown command") is None


def test_the_slot_map_is_read_from_cluster_slots():
    ranges = [[0, 5460, [b"127.0.0.1", 7000, b"id0"], [b"127.0.0.1", 7003, b"id3"]],
              [5461, 16383, [b"", 7001, b"id1"]]]
    masters = cluster.Cluster._map(ranges, ("10.1.1.1", 7000))
    assert masters[0] == masters[5460] == ("127.0.0.1", 7000)
    assert masters[5461] == masters[16383] == ("10.1.1.1", 7001)  # no host: the node asked


def test_a_cluster_client_parses_answers_as_its_kind():
    """The layer's calls are written for redis-py's legacy Redis, the sessions' for StrictRedis."""
    import redis
    legacy = cluster.client(cluster.Cluster(NODES, redis_class=redis.Redis))
    strict = cluster.client(cluster.Cluster(NODES))
    assert isinstance(legacy, redis.Redis) and isinstance(legacy.pipeline(), redis.client.Pipeline)
    assert not isinstance(strict, redis.Redis) and isinstance(strict, redis.StrictRedis)
