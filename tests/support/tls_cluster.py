"""A Redis Cluster on TLS only with ACL users, as managed Redis in cluster mode serves one.

Debian's redis-server, started and made a cluster by the project's own
tooling (channels_kit.operations.embedded_cluster) with options of its own:
every node listens on a TLS port only (``--port 0``) and asks clients for a
certificate; the cluster bus and replication speak TLS too. The default
user is off. The split logs in as the kit's user, limited to the kit's keys
(tls_redis.KEYS); the replicas log in to their masters as a user allowed
replication alone; the tooling and the tests log in as an admin.

Asked over TLS, CLUSTER SLOTS and CLUSTER NODES name each node by its TLS
port (the node's cluster port is its TLS port when ``--tls-cluster yes``),
so no announce setting is needed for the kit's client to follow them.
"""
import contextlib
import functools
import os

from channels_kit.connections import redis_urls
from tests.support import tls_redis
from tests.support.cluster import running_cluster

# The user replicas log in to their masters as: replication, nothing else.
NODE_USER, NODE_PASSWORD = "node", "tls-test-node-2c8e"


def node_args(certs, ca):
    """``extra_args`` for embedded_cluster: a TLS-only node, its bus and replication on TLS, users."""
    def extra_args(port):
        return [*tls_redis.tls_options(port, certs["server"], ca),
                "--tls-cluster", "yes", "--tls-replication", "yes",
                "--masteruser", NODE_USER, "--masterauth", NODE_PASSWORD,
                "--user", "default", "off",
                "--user", tls_redis.USER, "on", ">" + tls_redis.PASSWORD, *tls_redis.KEYS,
                "+@all", "-@dangerous",
                "--user", NODE_USER, "on", ">" + NODE_PASSWORD, "+psync", "+replconf", "+ping",
                "--user", tls_redis.ADMIN, "on", ">" + tls_redis.ADMIN_PASSWORD, "~*", "&*", "+@all"]
    return extra_args


class TlsClusterAccess:
    """The certificates of one TLS cluster, and the URLs and clients that reach its nodes."""

    def __init__(self, directory):
        self.directory = str(directory)
        self.certs = tls_redis.make_certificates(self.directory)
        self.ca = os.path.join(self.directory, "ca.crt")

    def url(self, port, user=tls_redis.USER, password=tls_redis.PASSWORD, ca=None):
        """A ``rediss://`` URL of the node on ``port``: the ACL user, mutual TLS."""
        client = self.certs["client"]
        return ("rediss://%s:%s@127.0.0.1:%d/0?ssl_ca_certs=%s&ssl_certfile=%s&ssl_keyfile=%s"
                "&ssl_cert_reqs=required" % (user, password, port, ca or self.ca,
                                             client + ".crt", client + ".key"))

    @functools.lru_cache(maxsize=None)
    def admin(self, port):
        """The admin's client of the node on ``port``, kept: the tooling asks each node many times."""
        return redis_urls.client(self.url(port, tls_redis.ADMIN, tls_redis.ADMIN_PASSWORD),
                                 socket_timeout=10, socket_connect_timeout=2)


@contextlib.contextmanager
def running_tls_cluster(directory, masters=3, replicas=1, node_timeout_ms=1000, name="tls-cluster"):
    """Debian's redis-server as a TLS-only cluster; yields (LocalCluster, TlsClusterAccess)."""
    access = TlsClusterAccess(directory)
    with running_cluster(masters, replicas, node_timeout_ms, name,
                         binary=tls_redis.debian_redis_server(),
                         extra_args=node_args(access.certs, access.ca), client=access.admin,
                         migrate_auth=("AUTH2", tls_redis.ADMIN, tls_redis.ADMIN_PASSWORD)) as cluster:
        yield cluster, access
