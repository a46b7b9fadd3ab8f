"""A TLS-only master, a replica and Sentinels, with logins everywhere, as a managed Redis has them.

Debian's redis-server (built with TLS) plays every part; ``--sentinel``
makes the Sentinels. The master and replica know the split's ACL user and
the admin (tests/support/tls_redis.py); the Sentinels and the replica log
in to them as the admin over TLS. Each Sentinel listens on TLS only and
knows one user of its own (``watcher``); the default user is off there too.
Every server presents the same test-made certificate for 127.0.0.1.
"""
import os
import shlex

from channels_kit.connections import redis_urls
from channels_kit.testing.split import Process, free_port, port_open, wait_for
from tests.support.tls_redis import (ADMIN, ADMIN_PASSWORD, PASSWORD, USER, debian_redis_server,
                                     make_certificates, server_args, tls_options)

SERVICE = "tlsmaster"
WATCHER, WATCHER_PASSWORD = "watcher", "tls-test-sentinel-6c0d"


class TlsSentinelGroup:
    """One master, one replica and ``sentinels`` Sentinels on free 127.0.0.1 TLS ports."""

    def __init__(self, work_dir, sentinels=3, down_after_ms=1000, quorum=2):
        self.binary = debian_redis_server()
        self.work_dir = str(work_dir)
        os.makedirs(self.work_dir, exist_ok=True)
        self.certs = make_certificates(self.work_dir)
        self.ca = os.path.join(self.work_dir, "ca.crt")
        self.down_after_ms, self.quorum = down_after_ms, quorum
        self.master_port, self.replica_port = free_port(), free_port()
        self.sentinel_ports = [free_port() for _ in range(sentinels)]
        self.master = self._server("master", self.master_port)
        self.replica = self._server("replica", self.replica_port, replica_of=self.master_port)
        self.sentinels = [self._sentinel(n, port) for n, port in enumerate(self.sentinel_ports, 1)]

    def _query(self):
        client = self.certs["client"]
        return "ssl_ca_certs=%s&ssl_certfile=%s.crt&ssl_keyfile=%s.key" % (self.ca, client, client)

    def sentinel_urls(self, password=WATCHER_PASSWORD):
        """The REDIS_SENTINELS value: each Sentinel as a rediss:// URL with its user."""
        return ",".join("rediss://%s:%s@127.0.0.1:%d?%s" % (WATCHER, password, port, self._query())
                        for port in self.sentinel_ports)

    def master_url(self, password=PASSWORD):
        """The REDIS_SENTINEL_MASTER_URL value: the split's ACL user, TLS, no host."""
        return "rediss://%s:%s@/0?%s" % (USER, password, self._query())

    def admin(self, port):
        """A client of the server on ``port``, logged in as the admin."""
        return redis_urls.client("rediss://%s:%s@127.0.0.1:%d/0?%s"
                                 % (ADMIN, ADMIN_PASSWORD, port, self._query()))

    def sentinel(self, port):
        """A client of the Sentinel on ``port``, logged in as its user."""
        return redis_urls.client("rediss://%s:%s@127.0.0.1:%d?%s"
                                 % (WATCHER, WATCHER_PASSWORD, port, self._query()))

    def _server(self, name, port, replica_of=None):
        data = os.path.join(self.work_dir, name + "-data")
        os.makedirs(data, exist_ok=True)
        args = server_args(self.binary, port, self.certs["server"], self.ca, data)
        # Either may be the replica after a failover: both log in to their master as the admin.
        args += ["--tls-replication", "yes", "--masteruser", ADMIN, "--masterauth", ADMIN_PASSWORD]
        if replica_of:
            args += ["--replicaof", "127.0.0.1", str(replica_of)]
        return self._process(name, args)

    def _sentinel(self, number, port):
        conf = os.path.join(self.work_dir, "sentinel%d.conf" % number)
        server = self.certs["server"]
        lines = [
            "user default off",
            "user %s on >%s ~* &* +@all" % (WATCHER, WATCHER_PASSWORD),
            # Sentinels talk to each other as that user, and to the servers as the admin.
            "sentinel sentinel-user %s" % WATCHER,
            "sentinel sentinel-pass %s" % WATCHER_PASSWORD,
            "sentinel monitor %s 127.0.0.1 %d %d" % (SERVICE, self.master_port, self.quorum),
            "sentinel auth-user %s %s" % (SERVICE, ADMIN),
            "sentinel auth-pass %s %s" % (SERVICE, ADMIN_PASSWORD),
            "sentinel down-after-milliseconds %s %d" % (SERVICE, self.down_after_ms),
            "sentinel failover-timeout %s 5000" % SERVICE,
        ]
        with open(conf, "w") as f:  # a Sentinel rewrites its file: one each
            f.write("\n".join(lines) + "\n")
        # The TLS options on the command line: "tls-replication" makes the
        # Sentinel reach servers and other Sentinels over TLS too.
        args = [self.binary, conf, "--sentinel", *tls_options(port, server, self.ca),
                "--tls-replication", "yes", "--dir", self.work_dir]
        return self._process("sentinel%d" % number, args)

    def _process(self, name, args):
        return Process(name, shlex.join(args), dict(os.environ),
                       os.path.join(self.work_dir, name + ".log"), self.work_dir)

    def start(self, timeout=30):
        ports = [self.master_port, self.replica_port] + self.sentinel_ports
        for process, port in zip([self.master, self.replica] + self.sentinels, ports):
            process.start()
            wait_for(lambda: port_open(port), timeout, process.name)
        return self

    def stop(self):
        for process in [self.master, self.replica] + self.sentinels:
            process.stop()
