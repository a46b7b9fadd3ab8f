"""The kit's Redis Cluster client on a real cluster, each redirect provoked on purpose.

The split's tests move slots and kill masters while rooms talk; here each
answer the client must understand is made to happen at a known moment:
MOVED after a slot moved, ASK while it moves, TRYAGAIN while a script's
keys are split between the two ends, NOSCRIPT from a master that never saw
the script, and a master gone for good.
"""
import threading
import time

import pytest
import redis

from channels_kit.connections import cluster
from channels_kit.connections.cluster_slots import slot_of
from channels_kit.layer import RedisChannelLayer
from channels_kit.operations import embedded_cluster
from tests.support.cluster import running_cluster

# Reads a list and a counter of one slot: a script over two keys.
LENGTH_AND_COUNT = "return {redis.call('llen', KEYS[1]), redis.call('get', KEYS[2])}"


@pytest.fixture(scope="module")
def nodes():
    with running_cluster(masters=3, replicas=1, node_timeout_ms=1000, name="cluster-client") as running:
        yield running


@pytest.fixture
def client(nodes):
    return cluster.client(cluster.Cluster(["redis://127.0.0.1:%d/0" % port for port in nodes.ports]))


def other_master(nodes, slot):
    owner = nodes.slot_owner(slot)
    return owner, next(port for port in nodes.masters() if port != owner)


def test_a_pipeline_over_every_master_answers_in_order(client, nodes):
    keys = ["spread-%d" % n for n in range(60)]
    assert len({nodes.slot_owner(slot_of(key)) for key in keys}) == 3
    pipeline = client.pipeline(transaction=False)
    for n, key in enumerate(keys):
        pipeline.set(key, n)
    for key in keys:
        pipeline.get(key)
    results = pipeline.execute()
    assert results[len(keys):] == [str(n).encode() for n in range(len(keys))]


def test_after_a_slot_moved_the_client_follows_moved_and_keeps_the_new_map(client, nodes):
    key = "{moved}list"
    client.rpush(key, "a")
    source, target = other_master(nodes, slot_of(key))
    nodes.migrate_slot(slot_of(key), source, target)
    client.rpush(key, "b")  # MOVED, then the map is read again
    assert client.cluster.master_of(slot_of(key))[1] == target
    assert client.lrange(key, 0, -1) == [b"a", b"b"]


def test_while_a_slot_moves_a_key_already_at_the_target_is_asked_there(client, nodes):
    slot = slot_of("{asking}")
    source, target = other_master(nodes, slot)
    source_id = embedded_cluster.plain_client(source).execute_command("CLUSTER", "MYID")
    target_id = embedded_cluster.plain_client(target).execute_command("CLUSTER", "MYID")
    client.set("{asking}moved", "there")
    client.set("{asking}stays", "here")
    embedded_cluster.plain_client(target).execute_command("CLUSTER", "SETSLOT", slot, "IMPORTING", source_id)
    embedded_cluster.plain_client(source).execute_command("CLUSTER", "SETSLOT", slot, "MIGRATING", target_id)
    embedded_cluster.plain_client(source).execute_command(
        "MIGRATE", "127.0.0.1", target, "", 0, 5000, "KEYS", "{asking}moved")
    try:
        assert client.get("{asking}moved") == b"there"  # ASK, ASKING, the target
        assert client.get("{asking}stays") == b"here"  # still the source's
        assert client.cluster.master_of(slot)[1] == source  # ASK changes no map
    finally:
        nodes.migrate_slot(slot, source, target)


def test_a_script_whose_keys_are_split_by_a_move_is_sent_again_until_the_move_ends(client, nodes):
    slot = slot_of("{split}")
    source, target = other_master(nodes, slot)
    source_id = embedded_cluster.plain_client(source).execute_command("CLUSTER", "MYID")
    target_id = embedded_cluster.plain_client(target).execute_command("CLUSTER", "MYID")
    client.rpush("{split}list", "x", "y")
    client.set("{split}count", 7)
    embedded_cluster.plain_client(target).execute_command("CLUSTER", "SETSLOT", slot, "IMPORTING", source_id)
    embedded_cluster.plain_client(source).execute_command("CLUSTER", "SETSLOT", slot, "MIGRATING", target_id)
    embedded_cluster.plain_client(source).execute_command(
        "MIGRATE", "127.0.0.1", target, "", 0, 5000, "KEYS", "{split}list")
    finisher = threading.Timer(0.5, nodes.migrate_slot, (slot, source, target))
    finisher.start()
    started = time.monotonic()
    try:
        script = client.register_script(LENGTH_AND_COUNT)
        assert script(keys=["{split}list", "{split}count"]) == [2, b"7"]  # TRYAGAIN until moved
    finally:
        finisher.join()
    assert time.monotonic() - started >= 0.4  # it waited for the move, and did not fail
    assert nodes.slot_owner(slot) == target


def test_a_master_that_never_saw_a_script_is_given_it(client, nodes):
    key = "{noscript}list"
    client.rpush(key, "one")
    script = client.register_script(LENGTH_AND_COUNT)
    assert script(keys=[key, "{noscript}count"]) == [1, None]
    source, target = other_master(nodes, slot_of(key))
    embedded_cluster.plain_client(target).execute_command("SCRIPT", "FLUSH")
    nodes.migrate_slot(slot_of(key), source, target)
    assert script(keys=[key, "{noscript}count"]) == [1, None]  # MOVED, NOSCRIPT, loaded, run


def begin_move(nodes, slot):
    """Mark ``slot`` as moving from its master to another one; returns (source, target)."""
    source, target = other_master(nodes, slot)
    source_id = embedded_cluster.plain_client(source).execute_command("CLUSTER", "MYID")
    target_id = embedded_cluster.plain_client(target).execute_command("CLUSTER", "MYID")
    embedded_cluster.plain_client(target).execute_command("CLUSTER", "SETSLOT", slot, "IMPORTING", source_id)
    embedded_cluster.plain_client(source).execute_command("CLUSTER", "SETSLOT", slot, "MIGRATING", target_id)
    return source, target


@pytest.mark.parametrize("take", ["receive", "receive_batch", "process-local"])
def test_a_message_whose_content_moved_before_its_list_is_still_delivered(nodes, take):
    """A slot moves key by key: the list still on the old master, the message's content on the new.

    The layer's pop scripts read the content inside the script, where no
    ASK can reach them; they hand the key back and the layer fetches it.
    """
    layer = RedisChannelLayer(hosts=["redis://127.0.0.1:%d/0" % port for port in nodes.ports],
                              cluster=True)
    channel = "daphne.response.Moving%s!one" % take.replace("-", "")[:6] if take == "process-local" \
        else "websocket.receive"
    layer.send(channel, {"text": "first"})
    layer.send(channel, {"text": "second"})
    index, list_key = layer.list_key(layer.non_local_name(channel)) if "!" in channel \
        else (0, layer.key_prefix(0) + channel)
    names = layer.connection(index).lrange(list_key, 0, -1)
    slot = slot_of(list_key)
    source, target = begin_move(nodes, slot)
    embedded_cluster.plain_client(source).execute_command(
        "MIGRATE", "127.0.0.1", target, "", 0, 5000, "KEYS", names[0])
    # The rest of the slot follows shortly, as in any move: a script over the
    # popped message and its emptied list waits for it (TRYAGAIN).
    finisher = threading.Timer(0.5, nodes.migrate_slot, (slot, source, target))
    finisher.start()
    try:
        if take == "receive_batch":  # the batch stops at the moved one, to keep the order
            got = [message["text"] for _ in range(2)
                   for _, message in layer.receive_batch([channel], 5)]
        elif take == "receive":
            got = [layer.receive([channel])[1]["text"], layer.receive([channel])[1]["text"]]
        else:
            got = [layer.receive([layer.non_local_name(channel)])[1]["text"] for _ in range(2)]
        assert got == ["first", "second"]
    finally:
        finisher.join()


def test_after_a_master_dies_calls_reach_its_promoted_replica(client, nodes):
    key = "{failover}value"
    client.set(key, "kept")
    dead = nodes.slot_owner(slot_of(key))
    redis.StrictRedis(port=dead).execute_command("WAIT", 1, 5000)
    nodes.kill(dead)
    deadline, answer = time.monotonic() + 15, None
    while answer is None:
        assert time.monotonic() < deadline, "no answer from the promoted replica"
        try:
            answer = client.get(key)
        except redis.exceptions.ConnectionError:  # until the cluster promotes the replica
            time.sleep(0.1)
    assert answer == b"kept"
    assert client.cluster.master_of(slot_of(key))[1] != dead
