"""Sentinel for real: the split on a master three Sentinels watch, then the master SIGKILLed.

A master, a replica and three Sentinels, all from the embedded redis-server
binary; daphne and two workers find the master through REDIS_SENTINELS.
The Sentinels call a master down after 1 s without an answer here
(``down-after-milliseconds``), so a failover takes a few seconds.
"""
import os
import shutil
import signal
import time

import pytest
import redis
import websocket

from channels_kit.connections import sentinel
from channels_kit.layer import RedisChannelLayer
from channels_kit.testing.split import wait_for
from tests.support.figures import record
from tests.support.paths import ARTIFACTS
from tests.support.sentinels import SERVICE, SentinelGroup
from tests.support.splits import running_split
from tests.support.wire import recv_json, say


SERVERS = os.path.join(ARTIFACTS, "logs", "sentinel-servers")


@pytest.fixture
def sentinels():
    shutil.rmtree(SERVERS, ignore_errors=True)
    group = SentinelGroup(SERVERS)
    try:
        yield group.start()
    finally:
        group.stop()


@pytest.fixture
def sentinel_split(sentinels, tmp_path):
    env = {"REDIS_SENTINELS": sentinels.addresses, "REDIS_SENTINEL_SERVICE": SERVICE}
    with running_split("sentinel", tmp_path, env=env) as running:
        yield running


def connect(split, path):
    return websocket.create_connection(split.ws_url + path, origin=split.url, timeout=10)


def replica_caught_up(group):
    """Wait until every replica has applied all the master has written so far."""
    master = redis.StrictRedis(port=group.master_port)
    written = master.info("replication")["master_repl_offset"]
    for port in group.replica_ports:
        replica = redis.StrictRedis(port=port)
        wait_for(lambda: replica.info("replication").get("slave_repl_offset", -1) >= written, 30,
                 "the replica on port %d to catch up" % port)


def test_rooms_work_again_within_15s_of_the_master_being_killed(sentinels, sentinel_split):
    alice, bob = connect(sentinel_split, "/chat/ha/"), connect(sentinel_split, "/chat/ha/")
    say(alice, "before")
    assert recv_json(bob)["text"] == "before"
    replica_caught_up(sentinels)  # it has the group (replication is asynchronous)

    sentinels.master.signal(signal.SIGKILL)
    killed = time.monotonic()
    for i in range(10):  # held by daphne while there is no master
        say(alice, "during %d" % i)
        time.sleep(0.2)
    bob.settimeout(15)
    got = [recv_json(bob)["text"] for _ in range(10)]
    recovered = time.monotonic() - killed
    carol = connect(sentinel_split, "/chat/ha/")
    say(carol, "newcomer")
    assert recv_json(bob)["text"] == "newcomer"

    print("\nmaster SIGKILLed: the open sockets' 10 held frames delivered in order %.1fs later"
          % recovered)
    record("outage-figures.json", "sentinel_failover", {"down_after_ms": sentinels.down_after_ms,
                                 "seconds_until_delivered": round(recovered, 1)})
    assert got == ["during %d" % i for i in range(10)]
    assert recovered < 15
    # Served again because the replica was promoted: the Sentinels name it as the master.
    asked = redis.StrictRedis(port=sentinels.sentinel_ports[0])
    wait_for(lambda: int(asked.execute_command("SENTINEL", "get-master-addr-by-name", SERVICE)[1])
             in sentinels.replica_ports, 10, "the Sentinels to name the replica as master")
    # daphne read its replies on the layer's Twisted connection, through the Sentinels
    assert "Using native Twisted mode" in sentinel_split.web.log()


def test_the_tuned_layer_counts_drops_on_the_sentinel_master(sentinels):
    url = sentinel.url(sentinels.addresses.split(","), SERVICE)
    layer = RedisChannelLayer(hosts=[url], capacity=2)
    layer.send("sentinel.full", {"n": 1})
    layer.send("sentinel.full", {"n": 2})
    with pytest.raises(layer.ChannelFull):
        layer.send("sentinel.full", {"n": 3})
    layer.group_add("sentinel-group", "sentinel.full")
    layer.send_group("sentinel-group", {"n": 4})  # pipelined; the full member is counted
    assert layer.drop_counts() == {"sentinel.full": 2, "group:sentinel-group": 1}
    assert layer.receive(["sentinel.full"]) == ("sentinel.full", {"n": 1})
    master = layer.connection(0).connection_pool.get_master_address()
    assert master == ("127.0.0.1", sentinels.master_port)
