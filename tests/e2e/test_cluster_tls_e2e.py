"""The whole split on a Redis Cluster that speaks TLS only, as an ACL user, as managed Redis serves one.

Three masters and three replicas of Debian's redis-server, made by the
project's own tooling with a node timeout of 1 s: TLS ports only, client
certificates required, the cluster bus and replication on TLS, the default
user off (tests/support/tls_cluster.py). Two daphnes and two workers reach
them through REDIS_CLUSTER, one ``rediss://`` URL per node, as the kit's
user, limited to the kit's keys. A slot moves between masters while a room
uses it (MIGRATE over TLS). A wrong password and a wrong CA each get a 503
naming Redis and a log line in daphne and in each worker saying what is
wrong; no password is ever shown. A master SIGKILLed: its replica takes
over and the frames sent meanwhile reach the room.
"""
import json
import time

import pytest
import redis

from channels_kit.connections import redis_urls
from channels_kit.connections.cluster_slots import slot_of
from channels_kit.layer import RedisChannelLayer
from channels_kit.operations import embedded_cluster
from channels_kit.testing.split import wait_for
from tests.support.splits import all_logs, broken_split, connect_to, health, running_split
from tests.support.cluster import frames_through_a_kill, master_port, room_pair
from tests.support.tls_cluster import running_tls_cluster
from tests.support.tls_redis import PASSWORD, stranger_ca
from tests.support.wire import room_texts, say

# What a failover may take on a busy 2-core machine: the node timeout (1 s),
# the replica's election over TLS, and the clients' next reading of the map.
FAILOVER_BOUND_S = 20

# Debian's redis-server and the cluster client are the same on every run;
# the TLS of each interpreter is tested by test_tls_redis_e2e every time.
pytestmark = pytest.mark.once


@pytest.fixture(scope="module")
def tls_cluster(tmp_path_factory):
    with running_tls_cluster(tmp_path_factory.mktemp("tls-cluster-certs"),
                             name="tls-cluster-nodes") as running:
        yield running


@pytest.fixture(scope="module")
def cluster(tls_cluster):
    return tls_cluster[0]


@pytest.fixture(scope="module")
def access(tls_cluster):
    return tls_cluster[1]


def cluster_env(cluster, access, **url_options):
    """REDIS_CLUSTER naming every node, with ``url_options`` (password, ca) for TlsClusterAccess.url."""
    return {"REDIS_CLUSTER": ",".join(access.url(port, **url_options) for port in cluster.ports)}


@pytest.fixture(scope="module")
def tls_cluster_split(cluster, access, tmp_path_factory):
    with running_split("tls-cluster-split", tmp_path_factory.mktemp("tls-cluster"),
                       env=cluster_env(cluster, access), webs=2) as split:
        yield split


@pytest.fixture(scope="module")
def placement(cluster, access):
    """A layer like the split's, for names and the slot map; it sends nothing."""
    return RedisChannelLayer(hosts=[access.url(port) for port in cluster.ports], cluster=True)


def test_the_kits_user_reads_the_map_by_tls_ports_and_nothing_but_the_kits_keys(cluster, access,
                                                                                placement):
    # Over TLS, CLUSTER SLOTS names each master by its TLS port: the one the split must use.
    placement.cluster.refresh()
    assert sorted(port for _, port in placement.cluster.master_addresses()) == cluster.masters()
    node = redis_urls.client(access.url(cluster.ports[0]))
    with pytest.raises(redis.exceptions.ResponseError, match="NOPERM"):
        node.execute_command("CONFIG", "GET", "port")
    key = "not-the-kits-key"  # refused before the cluster would redirect it
    with pytest.raises(redis.exceptions.ResponseError, match="NOPERM"):
        node.get(key)


def test_echo_on_both_daphnes(tls_cluster_split):
    for daphne in (0, 1):
        sock = connect_to(tls_cluster_split, daphne, "/echo/")
        sock.send("over TLS to daphne %d" % daphne)
        assert sock.recv() == "over TLS to daphne %d" % daphne
        sock.close()


def test_a_room_with_members_on_both_daphnes_hears_each_member(tls_cluster_split):
    members = [connect_to(tls_cluster_split, daphne, "/chat/tls-cluster-room/") for daphne in (0, 1, 0, 1)]
    for i, sock in enumerate(members):
        say(sock, "from %d" % i)
    sent = sorted("from %d" % i for i in range(len(members)))
    for sock in members:  # nothing orders two senders against each other: every message, once
        assert sorted(room_texts(sock, len(members))) == sent
    for n in range(10):
        say(members[0], "line %d" % n)
    assert room_texts(members[1], 10) == ["line %d" % n for n in range(10)]
    for sock in members:
        sock.close()


def test_a_rooms_group_moves_to_another_master_and_the_room_goes_on(cluster, tls_cluster_split,
                                                                    placement):
    room = "tls-moving"
    alice = connect_to(tls_cluster_split, 0, "/chat/%s/" % room)
    bob = connect_to(tls_cluster_split, 1, "/chat/%s/" % room)
    say(alice, "before the move")
    assert room_texts(bob, 1) == ["before the move"]
    slot = slot_of(placement._group_key("room-" + room))
    source = cluster.slot_owner(slot)
    target = next(port for port in cluster.masters() if port != source)
    cluster.migrate_slot(slot, source, target)  # MIGRATE over TLS, logged in as the admin
    assert cluster.slot_owner(slot) == target
    for n in range(5):
        say(alice, "after the move %d" % n)
    assert room_texts(bob, 5) == ["after the move %d" % n for n in range(5)]
    alice.close()
    bob.close()


def test_health_and_layerstats_answer_without_the_password(tls_cluster_split):
    assert health(tls_cluster_split)[0] == 200
    assert PASSWORD not in json.dumps(health(tls_cluster_split)[1])
    shown = tls_cluster_split.manage("layerstats").stdout
    assert "rediss://chan:***@127.0.0.1" in shown
    assert PASSWORD not in shown
    assert PASSWORD not in all_logs(tls_cluster_split)


def broken_split_says(name, env, tmp_path, expected_line, password=PASSWORD):
    """A split on ``env``'s cluster answers /health/ with a 503 naming Redis; daphne and each worker say why."""
    with broken_split(name, env, tmp_path) as split:
        for process in split.workers + split.webs:
            wait_for(lambda: expected_line in process.log(), 30,
                     "%s to log %s" % (process.name, expected_line))
        time.sleep(2)  # daphne retries every half second: it says it once all the same
        for web in split.webs:
            assert web.log().count(expected_line) == 1, web.log()
        assert password not in all_logs(split) + json.dumps(health(split)[1])


def test_a_wrong_password_is_a_503_and_a_log_line(cluster, access, tmp_path):
    wrong = "a-wrong-guess-61c0"
    broken_split_says("tls-cluster-wrong-password", cluster_env(cluster, access, password=wrong),
                      tmp_path, "refused the login of user 'chan': WRONGPASS", password=wrong)


def test_a_server_certificate_from_another_ca_is_a_503_and_a_log_line(cluster, access, tmp_path):
    env = cluster_env(cluster, access, ca=stranger_ca(tmp_path / "stranger"))
    broken_split_says("tls-cluster-wrong-ca", env, tmp_path, "certificate verify failed")


def test_a_master_killed_the_room_hears_the_frames_sent_meanwhile(cluster, tls_cluster_split, placement):
    alice, bob = room_pair(tls_cluster_split, "tls-failover")
    # The master of the workers' channel: every frame of the room passes it.
    dead = master_port(placement, placement.key_prefix(0) + "websocket.receive")
    cluster.client(dead).execute_command("WAIT", 1, 5000)
    dead_id = cluster.nodes[dead].id
    replica = next(peer.port for peer in embedded_cluster.nodes(dead, cluster.client)
                   if peer.master_id == dead_id)
    assert frames_through_a_kill(cluster, dead, alice, bob, FAILOVER_BOUND_S) < FAILOVER_BOUND_S
    wait_for(lambda: dead not in cluster.masters() and replica in cluster.masters(), 15,
             "the cluster to name the dead master's replica a master in its place")
    wait_for(lambda: health(tls_cluster_split)[0] == 200, 15, "health to be 200 again")
    alice.close()
    bob.close()
