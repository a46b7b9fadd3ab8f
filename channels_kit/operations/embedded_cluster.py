"""A Redis Cluster on 127.0.0.1 made of the embedded server, with no redis-cli.

The cluster backend of the layer has to be tried and tested against a real
cluster: slots spread over masters, replicas that take over, slots that move
while clients write. ``redis-cli --cluster`` is how people usually make one,
but the pins ship the server alone, so this module sends the same plain
commands redis-cli would (ADDSLOTS, MEET, REPLICATE, SETSLOT, MIGRATE)
through redis-py. Every node keeps nothing but its cluster config, in a
work directory of its own.

    python -m channels_kit.operations.embedded_cluster --ports 7000-7005 --replicas 1

starts the nodes, makes the cluster, prints ``REDIS_CLUSTER=...`` and runs
until SIGTERM or Ctrl-C, which stop every node.
"""
import argparse
import contextlib
import functools
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import namedtuple

import redis

from channels_kit.connections.cluster_slots import SLOTS
from channels_kit.operations import embedded_redis

HOST = "127.0.0.1"
# A cluster node listens for its peers on its port + 10000 (the cluster bus).
BUS_OFFSET = 10000
# Flags that mean a node cannot be counted on (cluster nodes lists them).
DOWN_FLAGS = {"fail", "fail?", "handshake", "noaddr"}
# What INFO and CLUSTER NODES call a replica, in Redis and Valkey alike.
REPLICA = "slave"


class ClusterError(Exception):
    """The cluster did not reach the state asked for; the message says where it stuck."""


class Node:
    """One server started by ``start_nodes``: its port, its process, its log and the client for it."""

    def __init__(self, port, process, log_path, client):
        self.port, self.process, self.log_path, self.client = port, process, log_path, client

    @property
    def id(self):
        return _text(self.client, self.port, "CLUSTER", "MYID")

    def alive(self):
        return self.process.poll() is None

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()


# One line of CLUSTER NODES: what the node at ``port`` is, as the asked node sees it.
Peer = namedtuple("Peer", "id port flags master_id slots")


@functools.lru_cache(maxsize=None)
def plain_client(port):
    """One client per port, kept: the waits below ask every node many times over.

    Every function that talks to nodes takes ``client``, a function from a
    port to a redis-py client, this one unless told: nodes that speak TLS
    only or know no default user are reached with a client of the caller's.
    """
    return redis.StrictRedis(host=HOST, port=port, socket_timeout=10, socket_connect_timeout=2)


def _text(client, port, *command):
    """A command's reply, decoded: the cluster commands answer in ASCII."""
    reply = client(port).execute_command(*command)
    return reply.decode() if isinstance(reply, bytes) else reply


def _until(condition, timeout, what):
    """Poll ``condition`` (which returns a falsy value or the result) until ``timeout``.

    ``what`` names the goal in the error, and the last reason the condition
    gave (a connection error, a node not yet ok) is added to it.
    """
    deadline, reason = time.monotonic() + timeout, "never checked"
    while True:
        try:
            result = condition()
        except (redis.RedisError, ClusterError) as error:
            result, reason = None, str(error)
        if result:
            return result
        if time.monotonic() >= deadline:
            raise ClusterError("timed out after %ss waiting for %s (last: %s)" % (timeout, what, reason))
        time.sleep(0.05)


def config_path(port, workdir):
    """Where a node keeps its view of the cluster (it writes the file itself)."""
    return os.path.join(workdir, "nodes-%d.conf" % port)


def node_argv(port, workdir, node_timeout_ms, binary=None, extra_args=None):
    """The embedded server's command line for a node, or ``binary``'s, ``extra_args(port)`` last.

    Later options win over earlier ones, so the extra arguments can also
    replace the plain ones (``--port 0 --tls-port P`` for a TLS-only node).
    """
    argv = embedded_redis.argv(port)
    if binary:
        argv[0] = binary
    return argv + [
        "--cluster-enabled", "yes",
        "--cluster-config-file", config_path(port, workdir),
        "--cluster-node-timeout", str(node_timeout_ms),
        "--dir", workdir,
    ] + list(extra_args(port) if extra_args else [])


def start_nodes(ports, workdir, node_timeout_ms=5000, timeout=30, binary=None, extra_args=None,
                client=plain_client):
    """Start one cluster-enabled server per port, each in its own session; return the Nodes.

    The servers know nothing of each other yet: ``create`` makes them a
    cluster. A config file an earlier cluster left in ``workdir`` is removed
    first, or the node would come back as that cluster's member. If one of
    them does not come up, those that did are stopped. ``binary`` and
    ``extra_args`` go to ``node_argv``; ``client`` is how the nodes are asked.
    """
    os.makedirs(workdir, exist_ok=True)
    nodes = []
    try:
        for port in ports:
            with contextlib.suppress(FileNotFoundError):
                os.remove(config_path(port, workdir))
            log_path = os.path.join(workdir, "node-%d.log" % port)
            with open(log_path, "wb") as log:
                argv = node_argv(port, workdir, node_timeout_ms, binary, extra_args)
                process = subprocess.Popen(argv, cwd=workdir,
                                           stdout=log, stderr=subprocess.STDOUT,
                                           stdin=subprocess.DEVNULL, start_new_session=True)
            nodes.append(Node(port, process, log_path, client))
        for node in nodes:
            _until(lambda: _answers(node), timeout, "the node on port %d to answer" % node.port)
    except BaseException:
        stop_nodes(nodes)
        raise
    return nodes


def _answers(node):
    if not node.alive():
        raise ClusterError("the node on port %d exited:\n%s" % (node.port, node.log()[-2000:]))
    return node.client(node.port).ping()


def stop_nodes(nodes, timeout=10):
    """SIGTERM every node, then SIGKILL any that has not gone within ``timeout``."""
    for node in nodes:
        if node.alive():
            node.process.terminate()
    for node in nodes:
        try:
            node.process.wait(timeout)
        except subprocess.TimeoutExpired:
            node.process.kill()
            node.process.wait(5)


def create(ports, replicas=1, timeout=30, client=plain_client):
    """Make the started nodes one cluster: the first ports masters, the rest their replicas.

    The masters share the slots evenly; replica ``n`` follows master
    ``n % masters``. Returns once every node says the cluster is ok with all
    slots served, knows every other node, and every replica is in sync.
    """
    masters_count = _masters_count(len(ports), replicas)
    masters, followers = ports[:masters_count], ports[masters_count:]
    for epoch, port in enumerate(ports, 1):
        # Distinct epochs from the start spare the nodes resolving collisions.
        _text(client, port, "CLUSTER", "SET-CONFIG-EPOCH", epoch)
    for number, port in enumerate(masters):
        first, last = SLOTS * number // masters_count, SLOTS * (number + 1) // masters_count
        _text(client, port, "CLUSTER", "ADDSLOTS", *range(first, last))
    for port in ports[1:]:
        _text(client, ports[0], "CLUSTER", "MEET", HOST, port)
    _until(lambda: all(_knows_all(port, ports, client) for port in ports), timeout,
           "every node to know the other %d" % (len(ports) - 1))
    for number, port in enumerate(followers):
        master_id = _text(client, masters[number % masters_count], "CLUSTER", "MYID")
        _text(client, port, "CLUSTER", "REPLICATE", master_id)
    _until(lambda: all(_ready(port, len(ports), client) for port in ports), timeout,
           "every node to report cluster_state:ok with all slots and replicas in sync")


def _masters_count(nodes_count, replicas):
    masters_count, rest = divmod(nodes_count, replicas + 1)
    if masters_count < 1 or rest:
        raise ClusterError("%d ports cannot be split into masters with %d replicas each"
                           % (nodes_count, replicas))
    return masters_count


def _knows_all(port, ports, client):
    known = {peer.port: peer for peer in nodes(port, client)}
    return set(ports) <= set(known) and not any("handshake" in peer.flags for peer in known.values())


def cluster_info(port, client=plain_client):
    return dict(line.split(":", 1) for line in _text(client, port, "CLUSTER", "INFO").split()
                if ":" in line)


def _ready(port, nodes_count, client):
    info = cluster_info(port, client)
    if info["cluster_state"] != "ok" or int(info["cluster_slots_ok"]) != SLOTS:
        raise ClusterError("the node on port %d says cluster_state:%s, cluster_slots_ok:%s"
                           % (port, info["cluster_state"], info["cluster_slots_ok"]))
    if int(info["cluster_known_nodes"]) != nodes_count:
        raise ClusterError("the node on port %d knows %s nodes" % (port, info["cluster_known_nodes"]))
    replication = client(port).info("replication")
    if replication["role"] == REPLICA and replication.get("master_link_status") != "up":
        raise ClusterError("the replica on port %d is not in sync with its master" % port)
    return True


def nodes(port_any, client=plain_client):
    """Every node of the cluster as the node on ``port_any`` sees it, a Peer each."""
    return [_peer(line) for line in _text(client, port_any, "CLUSTER", "NODES").splitlines() if line]


def _peer(line):
    """``id ip:port@bus[,hostname] flags master ping pong epoch link slot...`` -> Peer."""
    fields = line.split()
    address = fields[1].split("@")[0]
    slots = []
    for entry in fields[8:]:
        if entry.startswith("["):  # a slot being imported or migrated: not served here yet
            continue
        first, _, last = entry.partition("-")
        slots.append((int(first), int(last or first)))
    return Peer(fields[0], int(address.rsplit(":", 1)[1]), set(fields[2].split(",")),
                None if fields[3] == "-" else fields[3], slots)


def _up(peer):
    return not peer.flags & DOWN_FLAGS


def masters(port_any, client=plain_client):
    """The ports of the masters that are up, as the node on ``port_any`` sees them."""
    return sorted(peer.port for peer in nodes(port_any, client) if "master" in peer.flags and _up(peer))


def slot_owner(port_any, slot, client=plain_client):
    """The port of the master that serves ``slot``, as the node on ``port_any`` sees it."""
    for peer in nodes(port_any, client):
        if "master" in peer.flags and any(first <= slot <= last for first, last in peer.slots):
            return peer.port
    raise ClusterError("no master serves slot %d (asked the node on port %d)" % (slot, port_any))


def migrate_slot(slot, source_port, target_port, batch=100, timeout_ms=5000, client=plain_client,
                 auth=()):
    """Move one slot and its keys from one master to another, while clients use it.

    The standard live resharding: the target imports, the source migrates,
    and the keys move in batches. Meanwhile the source answers a command for
    a key it no longer has with ASK, sending that client to the target for
    that one command. At the end every master is told the target's id, the
    target first, so the slot is never left without an owner, and the move
    ends when every node, replicas included, names the target. The replicas
    learn it from the target's gossip only; a second move that raises
    another master's config epoch before they have heard would make them
    keep the slot's old owner, and a replica promoted later would hand the
    slot back to a master that no longer has its keys.

    ``auth`` is what MIGRATE logs in to the target with where it knows no
    default user: ``("AUTH2", user, password)``.
    """
    source_id = _text(client, source_port, "CLUSTER", "MYID")
    target_id = _text(client, target_port, "CLUSTER", "MYID")
    _text(client, target_port, "CLUSTER", "SETSLOT", slot, "IMPORTING", source_id)
    _text(client, source_port, "CLUSTER", "SETSLOT", slot, "MIGRATING", target_id)
    source = client(source_port)
    while True:
        keys = source.execute_command("CLUSTER", "GETKEYSINSLOT", slot, batch)
        if not keys:
            break
        source.execute_command("MIGRATE", HOST, target_port, "", 0, timeout_ms, *auth, "KEYS", *keys)
    others = [port for port in masters(target_port, client) if port not in (source_port, target_port)]
    for port in [target_port, source_port] + others:
        _text(client, port, "CLUSTER", "SETSLOT", slot, "NODE", target_id)
    _until(lambda: all(slot_owner(port, slot, client) == target_port
                       for port in _up_ports(target_port, client)),
           timeout_ms / 1000, "every node to name the node on port %d as slot %d's master"
           % (target_port, slot))


def _up_ports(port_any, client):
    return [peer.port for peer in nodes(port_any, client) if _up(peer)]


def wait_failover(port_any, dead_port, timeout=30, client=plain_client):
    """Wait until a replica of the master on ``dead_port`` has taken over; return its port.

    Call it soon after the master stopped: its replicas are read from the
    cluster's view at the call, and a promoted replica no longer says whose
    it was. The wait ends when that replica serves slots as a master and
    every node still up says the cluster is ok again.
    """
    view = nodes(port_any, client)
    dead = [peer for peer in view if peer.port == dead_port]
    replicas = {peer.port for peer in view if dead and peer.master_id == dead[0].id}
    if not replicas:
        raise ClusterError("no node replicates the one on port %d: there is no failover to wait for"
                           % dead_port)

    def promoted():
        current = nodes(port_any, client)
        new = [peer.port for peer in current
               if peer.port in replicas and "master" in peer.flags and peer.slots]
        up = [peer.port for peer in current if _up(peer) and peer.port != dead_port]
        if new and all(cluster_info(port, client)["cluster_state"] == "ok" for port in up):
            return new[0]
        return None

    return _until(promoted, timeout, "a replica of the node on port %d to take over" % dead_port)


def port_free(port):
    """Whether a server could listen on ``port`` of 127.0.0.1 now."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as redis-server binds
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
        return True


def ports_free(ports):
    """Whether every port and its cluster bus port are free."""
    return all(port_free(port) and port_free(port + BUS_OFFSET) for port in ports)


def cluster_address(ports):
    """The REDIS_CLUSTER value that lists ``ports``."""
    return ",".join("%s:%d" % (HOST, port) for port in ports)


def parse_ports(text):
    """``7000-7005`` or ``7000,7001,...`` -> a list of ports."""
    ports = []
    for part in text.split(","):
        first, _, last = part.strip().partition("-")
        ports.extend(range(int(first), int(last or first) + 1))
    if not ports or any(not 0 < port < 65536 - BUS_OFFSET for port in ports) or len(set(ports)) != len(ports):
        raise ValueError("distinct ports below %d (a node's cluster bus is its port + %d)"
                         % (65536 - BUS_OFFSET, BUS_OFFSET))
    return ports


def _print_address(ports):
    taken = [port for port in ports if not ports_free([port])]
    if taken:
        print("embedded_cluster: port %d or its cluster bus port %d on 127.0.0.1 is already in use; "
              "pick other ports" % (taken[0], taken[0] + BUS_OFFSET), file=sys.stderr)
        return 1
    print(cluster_address(ports))
    return 0


class _Stop(Exception):
    """Raised by the signal handlers, wherever main() is, so the nodes are stopped."""


def _stop(signum, frame):
    raise _Stop()


def _arguments(arguments):
    parser = argparse.ArgumentParser(
        prog="python -m channels_kit.operations.embedded_cluster",
        description="Start a Redis Cluster on 127.0.0.1 from the server a pinned package ships, "
                    "print its REDIS_CLUSTER line and run until SIGTERM or Ctrl-C.")
    parser.add_argument("--ports", default="7000-7005", type=_ports_argument,
                        help="the nodes' ports, '7000-7005' or '7000,7001,...' (default 7000-7005); "
                             "the first of every replicas+1 are the masters")
    parser.add_argument("--replicas", default=1, type=int, help="replicas per master (default 1)")
    parser.add_argument("--node-timeout", default=5000, type=int, metavar="MS",
                        help="milliseconds without an answer before a node is called down "
                             "(default 5000)")
    parser.add_argument("--dir", help="where the nodes keep their cluster config and logs "
                                      "(default: a fresh temporary directory, removed at exit)")
    parser.add_argument("--address", action="store_true",
                        help="start nothing: check that the ports and their cluster bus ports "
                             "are free and print the REDIS_CLUSTER value (./run asks this first)")
    options = parser.parse_args(arguments)
    try:
        _masters_count(len(options.ports), options.replicas)
    except ClusterError as error:
        parser.error(str(error))
    return options


def _ports_argument(text):
    try:
        return parse_ports(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error))


def main(arguments=None):
    options = _arguments(arguments)
    if options.address:
        return _print_address(options.ports)
    # Set explicitly: a command started in the background inherits SIGINT ignored.
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    workdir = options.dir or tempfile.mkdtemp(prefix="embedded-cluster-")
    nodes_started, failed = [], False
    try:
        nodes_started = start_nodes(options.ports, workdir, options.node_timeout)
        create(options.ports, options.replicas)
        print("REDIS_CLUSTER=" + cluster_address(options.ports), flush=True)
        while True:
            signal.pause()
    except _Stop:
        return 0
    except (ClusterError, redis.RedisError) as error:
        failed = True
        print("embedded_cluster: %s (the nodes' logs: %s)" % (error, workdir), file=sys.stderr)
        return 1
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):  # a second Ctrl-C must not cut the stop short
            signal.signal(signum, signal.SIG_IGN)
        stop_nodes(nodes_started)
        if not options.dir and not failed:
            shutil.rmtree(workdir, ignore_errors=True)

if __name__ == "__main__":
    sys.exit(main())
