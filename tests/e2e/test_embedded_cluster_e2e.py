"""The local Redis Cluster tooling against real servers: made, resharded live, failed over, stopped.

Three masters and three replicas, all from the embedded server. A slot is
moved while a thread keeps pushing into a list of that slot, through a
small client of the test's own that follows MOVED and ASK as a cluster
client must. A master is SIGKILLed with a node timeout of 1 s, so its
replica is promoted within a few seconds. The command runs in the
foreground until a signal, alone and as ``REDIS_CLUSTER=local ./run``'s
supervised process.
"""
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time

import pytest
import redis

from channels_kit.connections.cluster_slots import SLOTS, slot_of
from channels_kit.operations import embedded_cluster, run_env
from channels_kit.operations.embedded_redis import server_binary
from channels_kit.testing.split import free_port, port_open, wait_for
from tests.support.cluster import free_cluster_ports, running_cluster
from tests.support.figures import record
from tests.support.paths import ARTIFACTS, ROOT
from tests.support.runs import START_TIMEOUT, children_running, run_command, stop_run

# What the failover may take on a busy 2-core machine: detection (the node
# timeout), the replica's election delay, and the vote, with room to spare.
FAILOVER_BOUND_S = 20
REDIRECT = re.compile(r"\b(MOVED|ASK) (\d+) [^ :]+:(\d+)")


@pytest.fixture(scope="module")
def cluster():
    started = time.monotonic()
    with running_cluster(masters=3, replicas=1, name="cluster") as running:
        record("cluster-figures.json", "start_and_create_3_plus_3_s",
               round(time.monotonic() - started, 2))
        yield running


def client(port):
    return redis.StrictRedis(port=port, socket_timeout=10)


class FollowingClient:
    """Sends each command to the node that serves its key, as the cluster redirects it.

    MOVED means the slot has a new owner: remember it. ASK means this one
    key has moved already while the slot migrates: ask the target once,
    after ASKING, on the same connection (a pipeline keeps the two together).
    """

    def __init__(self, port):
        self.owner, self.moved, self.asked = port, 0, 0
        self.clients = {}

    def client(self, port):
        if port not in self.clients:
            self.clients[port] = client(port)
        return self.clients[port]

    def call(self, *command):
        port, asking = self.owner, False
        for _ in range(10):
            try:
                if not asking:
                    return self.client(port).execute_command(*command)
                pipe = self.client(port).pipeline(transaction=False)
                pipe.execute_command("ASKING").execute_command(*command)
                return pipe.execute()[1]
            except redis.ResponseError as error:
                redirect = REDIRECT.search(str(error))
                if not redirect:
                    raise
                kind, port = redirect.group(1), int(redirect.group(3))
                asking = kind == "ASK"
                if asking:
                    self.asked += 1
                else:
                    self.owner, self.moved = port, self.moved + 1
        raise AssertionError("still redirected after 10 tries: %r" % (command,))


def cluster_info(port):
    return embedded_cluster.cluster_info(port)


def test_three_masters_with_a_replica_each_serve_every_slot(cluster):
    for port in cluster.ports:
        info = cluster_info(port)
        assert (info["cluster_state"], info["cluster_slots_ok"], info["cluster_known_nodes"]) == (
            "ok", str(SLOTS), "6"), port
    assert cluster.masters() == cluster.ports[:3]
    view = embedded_cluster.nodes(cluster.ports[0])
    masters_of_replicas = sorted(next(p.port for p in view if p.id == peer.master_id)
                                 for peer in view if embedded_cluster.REPLICA in peer.flags)
    assert masters_of_replicas == cluster.ports[:3]
    assert cluster.env() == {"REDIS_CLUSTER": ",".join("127.0.0.1:%d" % p for p in cluster.ports)}


def random_keys(count):
    chosen = random.Random(20240607)
    alphabet = "abcxyz{}:.-_é€0123456789"
    keys = ["foo", "{user1000}.following", "{user1000}.followers", "foo{}{bar}", "foo{{bar}}zap",
            "foo{bar}{zap}", "{}", "}{", "asgi:group:room", "asgi:{shard}:inbox"]
    keys += ["".join(chosen.choice(alphabet) for _ in range(chosen.randint(1, 24)))
             for _ in range(count - len(keys))]
    return keys


def test_slot_of_agrees_with_the_server(cluster):
    server = client(cluster.ports[0])
    keys = random_keys(400)
    assert [slot_of(key) for key in keys] == [
        server.execute_command("CLUSTER", "KEYSLOT", key) for key in keys]
    binary = [bytes(random.Random(n).randrange(256) for _ in range(n % 20 + 1)) for n in range(100)]
    assert [slot_of(key) for key in binary] == [
        server.execute_command("CLUSTER", "KEYSLOT", key) for key in binary]


def fill_slot(cluster, tag, count):
    """``count`` keys in ``{tag}``'s slot, half strings and half lists; returns what each holds."""
    owner = FollowingClient(cluster.ports[0])
    expected = {}
    for n in range(count):
        if n % 2:
            owner.call("SET", "{%s}:string:%d" % (tag, n), "value %d" % n)
            expected["{%s}:string:%d" % (tag, n)] = b"value %d" % n
        else:
            owner.call("RPUSH", "{%s}:list:%d" % (tag, n), "a%d" % n, "b%d" % n)
            expected["{%s}:list:%d" % (tag, n)] = [b"a%d" % n, b"b%d" % n]
    return expected


def read(follower, key, value):
    return follower.call("GET", key) if isinstance(value, bytes) else follower.call("LRANGE", key, 0, -1)


def test_a_slot_moves_with_its_keys_while_a_client_keeps_pushing(cluster):
    tag = "moving"
    slot = slot_of(tag)
    expected = fill_slot(cluster, tag, 500)
    source = cluster.slot_owner(slot)
    target = next(port for port in cluster.masters() if port != source)
    pusher = FollowingClient(source)
    pushed, errors, stop = [], [], threading.Event()

    def push():
        try:
            while not stop.is_set():
                pusher.call("RPUSH", "{%s}:queue" % tag, len(pushed))
                pushed.append(len(pushed))
        except Exception as error:  # shown by the assertion below
            errors.append(error)

    thread = threading.Thread(target=push, daemon=True)
    thread.start()
    wait_for(lambda: len(pushed) >= 20, 30, "pushes before the move")
    before = len(pushed)
    started = time.monotonic()
    cluster.migrate_slot(slot, source, target, batch=25)  # several rounds for the pushes to meet
    took = time.monotonic() - started
    during = len(pushed)
    wait_for(lambda: len(pushed) >= during + 20 or not thread.is_alive(), 30, "pushes after the move")
    stop.set()
    thread.join(30)
    record("cluster-figures.json", "migrate_slot_500_keys_s", round(took, 3))
    print("\nslot of 500 keys moved in %.3fs; %d pushes meanwhile, %d sent on by ASK"
          % (took, during - before, pusher.asked))

    assert errors == [] and not thread.is_alive()
    assert cluster.slot_owner(slot) == target
    assert client(source).execute_command("CLUSTER", "COUNTKEYSINSLOT", slot) == 0
    assert client(target).execute_command("CLUSTER", "COUNTKEYSINSLOT", slot) == 501
    queue = client(target).lrange("{%s}:queue" % tag, 0, -1)
    assert queue == [str(n).encode() for n in pushed] and len(pushed) > during
    assert pusher.owner == target and pusher.moved >= 1
    reader = FollowingClient(source)
    assert {key: read(reader, key, value) for key, value in expected.items()} == expected


def test_a_killed_master_s_replica_takes_over(tmp_path):
    with running_cluster(masters=3, replicas=1, name="cluster-failover") as cluster:
        victim = cluster.slot_owner(slot_of("kept"))
        replica = next(peer.port for peer in embedded_cluster.nodes(victim)
                       if peer.master_id == cluster.nodes[victim].id)
        client(victim).set("kept", "before the kill")
        assert client(victim).execute_command("WAIT", 1, 10000) == 1  # the replica has it
        cluster.kill(victim)
        killed = time.monotonic()
        promoted = cluster.wait_failover(victim, timeout=FAILOVER_BOUND_S)
        took = time.monotonic() - killed

        assert promoted == replica
        assert cluster.slot_owner(slot_of("kept")) == replica
        assert FollowingClient(cluster.any_port()).call("GET", "kept") == b"before the kill"
        assert client(replica).info("replication")["role"] == "master"
        print("\nmaster SIGKILLed (node timeout 1000 ms): replica promoted and cluster ok in %.1fs"
              % took)
        record("cluster-figures.json", "failover_after_sigkill_node_timeout_1000ms_s", round(took, 2))


def server_processes(work_dir):
    """PIDs of the processes working in ``work_dir``: the nodes run there (a server
    rewrites its command line, so that cannot tell)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if os.readlink("/proc/%s/cwd" % pid) == work_dir:
                found.append(int(pid))
        except OSError:
            continue
    return found


def read_line(stream, timeout):
    line = []
    reader = threading.Thread(target=lambda: line.append(stream.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    return line[0] if line else ""


@pytest.mark.parametrize("signum, sigint_ignored", [
    (signal.SIGTERM, False),
    (signal.SIGINT, True),
], ids=["SIGTERM", "SIGINT-though-started-ignoring-it"])
def test_the_command_prints_the_cluster_and_stops_every_node_on_a_signal(tmp_path, signum,
                                                                          sigint_ignored):
    ports = free_cluster_ports(6)
    work_dir = str(tmp_path / "nodes")
    ignore = (lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)) if sigint_ignored else None
    command = subprocess.Popen(
        [sys.executable, "-m", "channels_kit.operations.embedded_cluster",
         "--ports", "%d-%d" % (ports[0], ports[-1]), "--replicas", "1", "--dir", work_dir],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=ignore, start_new_session=True)
    try:
        line = read_line(command.stdout, 60)
        assert line == "REDIS_CLUSTER=%s\n" % ",".join("127.0.0.1:%d" % p for p in ports)
        assert cluster_info(ports[-1])["cluster_state"] == "ok"
        assert len(server_processes(work_dir)) == 6
        command.send_signal(signum)
        assert command.wait(30) == 0, command.stderr.read()
    finally:
        if command.poll() is None:
            os.killpg(command.pid, signal.SIGKILL)
            command.wait(10)
        left = server_processes(work_dir)
        for pid in left:  # however the test ended, no server outlives it
            os.kill(pid, signal.SIGKILL)
    assert left == []
    assert not any(port_open(port) for port in ports)


def test_run_with_a_local_cluster_supervises_its_nodes_and_stops_them(tmp_path):
    ports, port = free_cluster_ports(6), free_port()
    address = embedded_cluster.cluster_address(ports)
    run = run_command(tmp_path, "run-cluster.log", PORT=str(port), REDIS_CLUSTER="local",
                      CLUSTER_PORTS="%d-%d" % (ports[0], ports[-1]))
    server = os.path.basename(server_binary())

    def output():
        with open(os.path.join(ARTIFACTS, "logs", "run-cluster.log"), errors="replace") as f:
            return f.read()

    nodes = []
    try:
        wait_for(lambda: "| REDIS_CLUSTER=%s\n" % address in output() or run.poll() is not None,
                 START_TIMEOUT, "./run's cluster to be made")
        assert run.poll() is None, run.stderr.read().decode()
        assert "(layer: the Redis cluster at %s; Ctrl-C stops everything)" % address in output()
        assert run_env.read(str(tmp_path / "run.env"))["REDIS_CLUSTER"] == address
        assert all(cluster_info(p)["cluster_state"] == "ok" for p in ports)
        nodes = children_running(run, server)
        assert len(nodes) == 6  # the cluster's, and no Redis of its own beside them
        assert children_running(run, "embedded_redis") == []
    finally:
        stop_run(run)
    assert run.returncode == 0
    assert [node for node in nodes if node.is_running() and node.status() != "zombie"] == []
    assert not any(port_open(p) for p in ports)
