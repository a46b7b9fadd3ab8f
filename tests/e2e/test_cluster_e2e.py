"""The whole split on a real Redis Cluster: rooms across masters, slots moved while a room talks, a master killed.

Three masters and three replicas of the embedded server, made by the
project's own tooling (channels_kit.operations.embedded_cluster), with a
node timeout of 1 s; two daphnes and two workers reach them through
REDIS_CLUSTER. A layer object of the test's own reads where the cluster
keeps each shard, so the tests can aim at the masters that matter.
"""
import itertools
import json
import threading
import time

import pytest
import redis
import websocket

from channels_kit.connections.cluster_slots import slot_of
from channels_kit.daphne.redis_watch import RedisWatch
from channels_kit.inspector.layer import InspectedRedisChannelLayer
from channels_kit.layer import RedisChannelLayer
from channels_kit.presence.stores import RedisPresence
from channels_kit.testing.split import wait_for
from tests.support.cluster import frames_through_a_kill, master_port, room_pair, running_cluster
from tests.support.figures import record
from tests.support.layer_suite import SUITE_CONFIG, conformance
from tests.support.splits import connect_to, health, running_split
from tests.support.wire import room_texts, say

SUITE = conformance()

# How long rooms may stay silent after their master is SIGKILLed: the node
# timeout (1 s) for the replicas to call it failed, their election, and the
# clients' next reading of the slot map.
FAILOVER_BOUND_S = 15


@pytest.fixture(scope="module")
def cluster():
    with running_cluster(masters=3, replicas=1, node_timeout_ms=1000, name="cluster-nodes") as nodes:
        yield nodes


@pytest.fixture(scope="module")
def cluster_split(cluster, tmp_path_factory):
    with running_split("cluster-split", tmp_path_factory.mktemp("cluster"), env=cluster.env(),
                       webs=2) as split:
        yield split


@pytest.fixture(scope="module")
def placement(cluster):
    """A layer like the split's, for names and the slot map; it sends nothing."""
    return RedisChannelLayer(hosts=["redis://127.0.0.1:%d/0" % port for port in cluster.ports],
                             cluster=True)


def rooms_on_every_master(placement, masters):
    """One room name per master, each room's group (and history, presence) served by that master."""
    rooms = {}
    for n in range(1000):
        room = "span%d" % n
        rooms.setdefault(master_port(placement, placement._group_key("room-" + room)), room)
        if len(rooms) == masters:
            return rooms
    raise AssertionError("no room names found on every master")


def room_slots(placement, room):
    """The slots a room's messages pass: its group's, the workers' channels', each daphne's replies'."""
    owners = redis.StrictRedis(port=master_port(placement, placement._owners_key())).zrange(
        placement._owners_key(), 0, -1)
    keys = [placement._group_key("room-" + room), placement.key_prefix(0) + "websocket.receive"]
    keys += [placement.list_key(owner.decode())[1] for owner in owners]
    return sorted({slot_of(key) for key in keys})


def test_rooms_on_every_master_reach_members_on_both_daphnes(cluster, cluster_split, placement):
    assert health(cluster_split)[0] == 200
    rooms = rooms_on_every_master(placement, len(cluster.masters()))
    for master, room in sorted(rooms.items()):
        members = [connect_to(cluster_split, daphne, "/chat/%s/" % room) for daphne in (0, 1, 0, 1)]
        for i, sock in enumerate(members):
            say(sock, "%s from %d" % (room, i))
        sent = sorted("%s from %d" % (room, i) for i in range(len(members)))
        for sock in members:  # nothing orders two senders against each other: every message, once
            assert sorted(room_texts(sock, len(members))) == sent
        for sock in members:
            sock.close()
    echo = connect_to(cluster_split, 1, "/echo/")
    echo.send("ping")
    assert "ping" in echo.recv()
    owners = {key for port in cluster.masters() for key in
              redis.StrictRedis(port=port).scan_iter(match="asgi:{*}:owners")}
    assert len(owners) == 1  # the daphnes' memberships book: on the first shard only
    stats = json.loads(cluster_split.manage("layerstats", "--json").stdout)
    assert stats["channels"]["websocket.receive"]["messages_count"] > 0
    assert stats["ordering"]["workers_beating"] == 2
    pushed = cluster_split.manage("setvalue", "temperature", "21")  # pings every shard first
    assert pushed.returncode == 0


def test_presence_and_the_inspector_keep_their_keys_in_their_shards(cluster_split, placement):
    """Presence is counted on the group's master; the inspector's stream reads on the first shard's."""
    room = "present"
    guests = [connect_to(cluster_split, daphne, "/chat/%s/?presence" % room) for daphne in (0, 1)]
    for sock in guests:
        say(sock, "hi")
    for sock in guests:
        assert room_texts(sock, 2) == ["hi", "hi"]
    store = RedisPresence(placement)
    assert len(store.present("room-" + room)[1]) == 2
    watcher = InspectedRedisChannelLayer(hosts=placement.hosts, cluster=True)
    try:
        watcher.inspector.watch("daphne.response.ClusterTes!watcher")
        wait_for(lambda: watcher.inspector.watching, 5, "the tap to notice its watcher")
        frame = {"room": room, "user": "test", "text": "from the inspector test", "ts": ""}
        watcher.send_group("room-" + room, {"text": json.dumps(frame)})
        for sock in guests:
            assert room_texts(sock, 1) == ["from the inspector test"]
        wait_for(lambda: watcher.inspector.connection.execute_command(
            "XLEN", watcher.inspector.stream_key), 5, "the group send in the inspector's stream")
        assert slot_of(watcher.inspector.stream_key) == slot_of(placement.key_prefix(0))
    finally:
        watcher.inspector.stop()
    for sock in guests:
        sock.close()


def test_a_rooms_slots_move_to_other_masters_while_it_talks(cluster, cluster_split, placement):
    room = "moving"
    members = [connect_to(cluster_split, daphne, "/chat/%s/" % room) for daphne in (0, 1, 0, 1)]
    say(members[0], "hello")
    for sock in members:
        assert room_texts(sock, 1) == ["hello"]
    slots = room_slots(placement, room)
    masters = cluster.masters()

    senders, per_sender = members[:3], 60
    def talk(index, sock):
        for n in range(per_sender):
            say(sock, "%d:%d" % (index, n))
            time.sleep(0.02)
    talkers = [threading.Thread(target=talk, args=(i, sock)) for i, sock in enumerate(senders)]
    for thread in talkers:
        thread.start()
    moved = {}
    started = time.monotonic()
    for slot in slots:
        source = cluster.slot_owner(slot)
        target = next(port for port in masters if port != source)
        cluster.migrate_slot(slot, source, target)
        moved[slot] = (source, target)
    moving_s = time.monotonic() - started
    for thread in talkers:
        thread.join()

    heard = [room_texts(sock, per_sender * len(senders)) for sock in members]
    for texts in heard:
        assert sorted(texts) == sorted("%d:%d" % (i, n) for i in range(3) for n in range(per_sender))
        for i in range(3):  # each sender's messages in the order it sent them
            assert [t for t in texts if t.startswith("%d:" % i)] == ["%d:%d" % (i, n)
                                                                    for n in range(per_sender)]
    for slot, (source, target) in moved.items():
        assert cluster.slot_owner(slot) == target
    record("cluster.json", "reshard", {"slots": len(moved), "moving_s": round(moving_s, 2),
                                       "messages": len(heard[0]), "members": len(members)})
    print("\n%d slots moved in %.1f s while 3 members sent %d messages: every member got each once, in its sender's order"
          % (len(moved), moving_s, len(heard[0])))
    for sock in members:
        sock.close()


def markers_probed_again(cluster):
    """Return once every daphne has probed its per-shard markers since this call began (see RedisWatch)."""
    markers = [(redis.StrictRedis(port=port), key) for port in cluster.masters()
               for key in redis.StrictRedis(port=port).scan_iter(match="*" + RedisWatch.marker_prefix + "*")]
    assert markers, "daphne keeps no marker in the cluster"
    for _ in range(2):  # the first probe may have begun before this call
        for client, key in markers:
            client.expire(key, RedisWatch.marker_ttl * 10)
        wait_for(lambda: all(client.ttl(key) <= RedisWatch.marker_ttl for client, key in markers),
                 30, "the daphnes' next probe")


def test_a_master_that_lost_its_keys_makes_the_daphnes_rejoin_their_sockets(
        cluster, cluster_split, placement):
    """One master flushed (a replica promoted before it had them, say): the room is heard again."""
    room = "forgotten"
    speaker, listener = room_pair(cluster_split, room)
    markers_probed_again(cluster)  # each daphne knows its sockets predate the flush
    redis.StrictRedis(port=master_port(placement, placement._group_key("room-" + room))).flushall()
    flushed = time.monotonic()
    listener.settimeout(0.5)
    for attempt in itertools.count():
        assert time.monotonic() < flushed + FAILOVER_BOUND_S, "the listener stayed deaf"
        try:
            say(speaker, "after %d" % attempt)
        except (websocket.WebSocketException, OSError):  # opened as the daphne noticed: 1012
            speaker = connect_to(cluster_split, 0, "/chat/%s/" % room)
        try:
            if any(text.startswith("after") for text in room_texts(listener, 1)):
                break
        except websocket.WebSocketTimeoutException:
            pass
    print("\nthe room's master flushed: its listener heard it again %.1f s later"
          % (time.monotonic() - flushed))
    assert "Redis lost its groups and channel sessions" in "".join(
        web.log() for web in cluster_split.webs)


def test_a_master_killed_rooms_back_within_the_bound_and_held_frames_delivered(
        cluster, cluster_split, placement):
    room = "failover"
    alice, bob = room_pair(cluster_split, room)
    # One master serves everything this room needs (the workers' channels,
    # the room's group, both daphnes' replies), each write on its replica.
    dead = master_port(placement, placement.key_prefix(0) + "websocket.receive")
    for slot in room_slots(placement, room):
        if cluster.slot_owner(slot) != dead:
            cluster.migrate_slot(slot, cluster.slot_owner(slot), dead)
    for port in cluster.masters():
        redis.StrictRedis(port=port).execute_command("WAIT", 1, 5000)

    back_s = frames_through_a_kill(cluster, dead, alice, bob, FAILOVER_BOUND_S)
    masters = cluster.masters()
    assert dead not in masters and len(masters) == 3  # its replica took its place
    carol = connect_to(cluster_split, 0, "/chat/%s/" % room)
    say(carol, "newcomer")
    assert room_texts(bob, 1) == ["newcomer"]
    assert back_s < FAILOVER_BOUND_S
    wait_for(lambda: health(cluster_split)[0] == 200, 10, "health to be 200 again")
    record("cluster.json", "failover", {"back_s": round(back_s, 2), "bound_s": FAILOVER_BOUND_S})
    print("\nmaster %d SIGKILLed: 10 frames sent meanwhile reached the room in order %.1f s later"
          % (dead, back_s))


@pytest.fixture
def cluster_layer(request, cluster):
    """The kit's layer on the module's cluster, with prefixes of its own: its flush leaves the split's keys."""
    hosts = ["redis://127.0.0.1:%d/0" % port for port in cluster.ports]
    request.cls.channel_layer = RedisChannelLayer(hosts=hosts, cluster=True, prefix="suite:",
                                                  stats_prefix="suite-meta:", **SUITE_CONFIG)


@pytest.mark.usefixtures("cluster_layer")
class ClusterLayerConformance(SUITE.ConformanceTestCase):
    """asgiref 1.1.2's conformance suite, on the cluster."""

    expiry_delay = 1.1
    capacity_limit = 5

