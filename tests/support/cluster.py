"""A Redis Cluster of embedded servers for a test: masters, replicas, free ports, stopped by PID.

The nodes and the cluster are channels_kit.operations.embedded_cluster's, the
tooling ``python -m channels_kit.operations.embedded_cluster`` runs; this
adds what a test needs around it: ports nobody else holds, logs under
test-artifacts/logs/<name>/, and a kill of one node to make a failover.
"""
import contextlib
import os
import random
import shutil
import time

from channels_kit.connections.cluster_slots import slot_of
from channels_kit.operations import embedded_cluster
from tests.support.paths import ARTIFACTS
from tests.support.splits import connect_to
from tests.support.wire import room_texts, say

# Below Linux's ephemeral ports (32768 and up), bus ports (+10000) included,
# so no outgoing connection can be holding one of them.
LOWEST, HIGHEST = 10000, 32767 - embedded_cluster.BUS_OFFSET


def free_cluster_ports(count, tries=200):
    """``count`` consecutive free ports whose cluster bus ports are free too."""
    for _ in range(tries):
        first = random.randint(LOWEST, HIGHEST - count)
        ports = list(range(first, first + count))
        if embedded_cluster.ports_free(ports):
            return ports
    raise RuntimeError("no %d consecutive free ports (with their bus ports) found" % count)


class LocalCluster:
    """The running nodes: the first ``masters`` ports were made masters, the rest replicas.

    ``client`` and ``migrate_auth`` are how the tooling reaches the nodes (see
    embedded_cluster): its plain client unless the nodes want TLS or a login.
    """

    def __init__(self, nodes, client=embedded_cluster.plain_client, migrate_auth=()):
        self.nodes = {node.port: node for node in nodes}
        self.ports = [node.port for node in nodes]
        self.client, self.migrate_auth = client, migrate_auth

    def env(self):
        return {"REDIS_CLUSTER": embedded_cluster.cluster_address(self.ports)}

    def any_port(self, besides=()):
        """A node that is running, to ask about the cluster."""
        return next(port for port, node in self.nodes.items() if node.alive() and port not in besides)

    def kill(self, port):
        """SIGKILL the node on ``port``, as a crash would stop it."""
        self.nodes[port].process.kill()
        self.nodes[port].process.wait(10)

    def masters(self):
        return embedded_cluster.masters(self.any_port(), self.client)

    def slot_owner(self, slot):
        return embedded_cluster.slot_owner(self.any_port(), slot, self.client)

    def migrate_slot(self, slot, source_port, target_port, **options):
        embedded_cluster.migrate_slot(slot, source_port, target_port, client=self.client,
                                      auth=self.migrate_auth, **options)

    def wait_failover(self, dead_port, timeout=30):
        return embedded_cluster.wait_failover(self.any_port(besides=[dead_port]), dead_port, timeout,
                                              self.client)


@contextlib.contextmanager
def running_cluster(masters=3, replicas=1, node_timeout_ms=1000, name="cluster", binary=None,
                    extra_args=None, client=embedded_cluster.plain_client, migrate_auth=()):
    """Start and create a cluster on free ports; stop every node (by PID) afterwards.

    ``binary``, ``extra_args``, ``client`` and ``migrate_auth``: for nodes
    other than the embedded server's plain ones (see embedded_cluster).
    """
    work_dir = os.path.join(ARTIFACTS, "logs", name)
    shutil.rmtree(work_dir, ignore_errors=True)
    ports = free_cluster_ports(masters * (replicas + 1))
    nodes = embedded_cluster.start_nodes(ports, work_dir, node_timeout_ms, binary=binary,
                                         extra_args=extra_args, client=client)
    try:
        embedded_cluster.create(ports, replicas, client=client)
        yield LocalCluster(nodes, client, migrate_auth)
    finally:
        embedded_cluster.stop_nodes(nodes)


def master_port(layer, key):
    """The port of the master serving ``key``, as a cluster layer's freshly read slot map says."""
    layer.cluster.refresh()
    return layer.cluster.master_of(slot_of(key))[1]


def room_pair(split, room):
    """Two members of ``room``, one on each of the split's first two daphnes, past a first message."""
    speaker = connect_to(split, 0, "/chat/%s/" % room)
    listener = connect_to(split, 1, "/chat/%s/" % room)
    say(speaker, "before")
    assert room_texts(listener, 1) == ["before"]
    return speaker, listener


def frames_through_a_kill(cluster, dead, speaker, listener, bound_s):
    """SIGKILL the master on ``dead`` as ``speaker`` sends 10 frames; seconds until ``listener`` has them in order."""
    cluster.kill(dead)
    killed = time.monotonic()
    for i in range(10):
        say(speaker, "during %d" % i)
        time.sleep(0.2)
    listener.settimeout(bound_s)
    assert room_texts(listener, 10) == ["during %d" % i for i in range(10)]
    return time.monotonic() - killed
