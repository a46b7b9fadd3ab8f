"""The servers under test, started and stopped by the bench, and their CPU and memory.

``ProjectServer`` is the split as the run command starts it: the Procfile
expanded by channels_kit.testing.split (daphne + 2 runworkers + embedded Redis),
in the bench's own venv or another one (``python``: the Django 2.2 pins).
``ClusterServer`` is the same split on a local Redis Cluster (3 masters, 3
replicas) it starts and stops itself.
``ReferenceServer`` is bench/reference.py in its own process.
``Channels4Server`` is stock Channels 4 (bench/channels4) under one daphne 4
with its own Redis, from .venv-channels4. All bind free 127.0.0.1 ports.
CPU is user + system time of every process of the server (children
included: the embedded Redis), read with psutil before and after each
scenario, so one figure covers daphne, the workers and Redis together; it
is also shown per role (daphne, workers, redis), which says where a
server's time per operation goes. A server may also name parts, pieces of
one role shown on their own and not added to the total again: the
cluster's masters one by one.
"""
import os
import re
import shlex
import subprocess
import sys
import tempfile

import psutil

from bench import ROOT, channels4_venv
from bench.inspector_watch import InspectorTab
from channels_kit.connections.cluster_slots import slot_of
from channels_kit.layer.placement import Placement, shard_tags
from channels_kit.operations import embedded_cluster, embedded_redis
from channels_kit.testing.split import Process, Split, free_port, port_open, wait_for
from tests.support.cluster import free_cluster_ports


def tree(pids):
    """The processes with these pids and all their children."""
    found = []
    for pid in pids:
        try:
            process = psutil.Process(pid)
            found.append(process)
            found.extend(process.children(recursive=True))
        except psutil.NoSuchProcess:
            pass
    return found


def cpu_seconds(process):
    times = process.cpu_times()
    return times.user + times.system


def total(processes, measure):
    """The sum of ``measure(process)`` over the processes that are still running."""
    found = 0
    for process in processes:
        try:
            found += measure(process)
        except psutil.NoSuchProcess:
            pass
    return found


class Server:
    """A server under test on ``self.port`` of 127.0.0.1."""

    name = None
    port = None
    # The path of a plain HTTP page for the "page" scenario; None: the server has none.
    page = None
    # The Django version the server runs, where it runs Django.
    django = None

    @property
    def ws_url(self):
        return "ws://127.0.0.1:%d" % self.port

    @property
    def origin(self):
        return "http://127.0.0.1:%d" % self.port

    def pids(self):
        raise NotImplementedError

    def roles(self):
        """{role: [pid, ...]}: the parts whose CPU is also shown on its own."""
        return {"server": self.pids()}

    def parts(self):
        """{part: [pid, ...]}: processes within a role whose CPU is shown apart too (none here)."""
        return {}

    def cpu_by_role(self):
        """CPU seconds (user + system, children included) of each role's processes."""
        return {role: total(tree(pids), cpu_seconds) for role, pids in self.roles().items()}

    def cpu_by_part(self):
        """CPU seconds of each part's processes: already counted in their roles'."""
        return {part: total(tree(pids), cpu_seconds) for part, pids in self.parts().items()}

    def rss_mb(self):
        return total(tree(self.pids()), lambda process: process.memory_info().rss) / 2 ** 20


class ProjectServer(Server):
    """The project's split, ``daphnes`` on one port; ``env`` overrides settings for variants.

    ``python``: the interpreter of the venv it runs in (default: the bench's own).
    """

    LIMITS_NOTE = ("Project limits: every per-socket limit on at its default (frame size, "
                   "sockets per address, and the frame rate, which throttles).")

    # The index: a template page, served as every HTTP request is, through a worker.
    page = "/"

    def __init__(self, name="project", workers=2, daphnes=1, env=None, root=None, python=None,
                 shards=1):
        self.name = name
        self.tmp = tempfile.TemporaryDirectory(prefix="bench-%s-" % re.sub(r"\W", "_", name))
        env = dict(env or {})
        env["DATABASE_PATH"] = os.path.join(self.tmp.name, "db.sqlite3")
        self.split = Split(workers=workers, webs=daphnes, shared_port=True, env=env, root=root,
                           log_dir=os.path.join(self.tmp.name, "logs"), python=python,
                           shards=shards)

    @property
    def port(self):
        return self.split.port

    def start(self):
        self.split.start()
        self.django = self.split.manage("version").stdout.strip()
        return self

    def pids(self):
        return [process.pid for process in self.split.processes.values() if process.alive()]

    def roles(self):
        return {role: [p.pid for p in processes if p.alive()] for role, processes in
                (("daphne", self.split.webs), ("workers", self.split.workers),
                 ("redis", self.split.redises))}

    def stop(self):
        self.split.stop()
        self.tmp.cleanup()


class ClusterServer(ProjectServer):
    """The project's split on a Redis Cluster of ``masters`` masters, each with ``replicas`` replicas.

    The nodes are the embedded server's (channels_kit.operations.embedded_cluster),
    on free ports below the ephemeral range, started before the split and
    stopped after it by PID; the split starts no Redis of its own. Role
    ``redis`` is the masters, as it is the one server for ``project``, so
    the two columns compare alike; ``replicas`` is the rest. Each master is
    also a part (``redis-master-1`` ...), numbered by the slots it serves:
    master 1 serves the first shard, where every worker-bound frame goes
    (channels_kit/layer/placement.py).
    """

    def __init__(self, name="cluster", workers=2, daphnes=1, env=None, masters=3, replicas=1):
        self.ports = free_cluster_ports(masters * (replicas + 1))
        self.masters, self.replicas = masters, replicas
        self.nodes = []
        env = dict(env or {}, REDIS_CLUSTER=embedded_cluster.cluster_address(self.ports))
        super().__init__(name, workers, daphnes, env=env, shards=0)

    def start(self):
        self.nodes = embedded_cluster.start_nodes(self.ports, os.path.join(self.tmp.name, "nodes"))
        embedded_cluster.create(self.ports, self.replicas)
        print("  %s: %s" % (self.name, self.layout()), flush=True)
        return super().start()

    def layout(self):
        """Which master serves which of the layer's shards, in words."""
        served = {port: [] for port in self.ports[:self.masters]}
        for index, tag in enumerate(shard_tags(Placement.cluster_shards)):
            served[embedded_cluster.slot_owner(self.ports[0], slot_of(tag))].append(index)
        return "; ".join("redis-master-%d (port %d) serves shards %s" % (
            number, port, ",".join(map(str, served[port])))
            for number, port in enumerate(served, 1))

    def _pids(self, nodes):
        return [node.process.pid for node in nodes if node.alive()]

    def roles(self):
        roles = super().roles()
        roles["redis"] = self._pids(self.nodes[:self.masters])
        roles["replicas"] = self._pids(self.nodes[self.masters:])
        return roles

    def parts(self):
        return {"redis-master-%d" % number: self._pids([node])
                for number, node in enumerate(self.nodes[:self.masters], 1)}

    def pids(self):
        return super().pids() + self._pids(self.nodes)

    def stop(self):
        self.split.stop()
        embedded_cluster.stop_nodes(self.nodes)  # before their directory goes
        self.tmp.cleanup()


class WatchedProjectServer(ProjectServer):
    """The project's split with one staff inspector socket open throughout (bench/inspector_watch.py)."""

    def __init__(self, name="inspector-open"):
        super().__init__(name)
        self.tab = InspectorTab(self.split)

    def start(self):
        super().start()
        self.tab.open()
        return self

    def stop(self):
        print("  %s: the inspector socket read %d events" % (self.name, self.tab.events))
        self.tab.close()
        super().stop()


class ReferenceServer(Server):
    name = "reference"

    def __init__(self):
        self.port = free_port()
        self.popen = None

    def start(self):
        self.popen = subprocess.Popen([sys.executable, "-m", "bench.reference", str(self.port)],
                                      cwd=ROOT, start_new_session=True)
        wait_for(lambda: port_open(self.port) or self.popen.poll() is not None, 30,
                 "the reference server")
        if self.popen.poll() is not None:
            raise RuntimeError("the reference server exited with %s" % self.popen.returncode)
        return self

    def pids(self):
        return [self.popen.pid] if self.popen and self.popen.poll() is None else []

    def stop(self):
        if self.popen and self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(10)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(5)


class Channels4Server(Server):
    """Stock Channels 4.3 + channels_redis: ``daphnes`` daphne 4 processes and their redis-server.

    The same Redis binary and flags as the project's split, so the two
    differ only in the Channels stack above Redis. Several daphnes share
    one port the way the project's do (``channels_kit/operations/reuseport.py``, run
    as a plain script: it needs nothing but the standard library). Every
    process is counted in the CPU figure, as daphne, workers and Redis are
    for the project's.
    """

    name = "channels4"
    site = os.path.join(ROOT, "bench", "channels4")
    reuseport = os.path.join(ROOT, "channels_kit", "operations", "reuseport.py")

    def __init__(self, daphnes=1):
        self.port, self.redis_port = free_port(), free_port()
        self.count = daphnes
        self.tmp = tempfile.TemporaryDirectory(prefix="bench-channels4-")
        self.redis = self._process("redis", embedded_redis.argv(self.redis_port), os.environ)
        self.daphnes = []

    def _process(self, name, argv, env):
        return Process(name, shlex.join(argv), env, os.path.join(self.tmp.name, name + ".log"), ROOT)

    def _daphne(self, bin_dir, number):
        env = channels4_venv.clean_env()
        env.update(PYTHONPATH=self.site, PYTHONUNBUFFERED="1",
                   DJANGO_SETTINGS_MODULE="channels4_site.settings",
                   REDIS_URL="redis://127.0.0.1:%d/0" % self.redis_port)
        # daphne puts its working directory first on sys.path: start it in the
        # site, not in the repo root, whose asgi.py and consumers/ are the project's.
        # -P: the wrapper's own directory (channels_kit/) stays off sys.path.
        argv = ["env", "-C", self.site, sys.executable, "-P", self.reuseport,
                os.path.join(bin_dir, "daphne"), "-b", "127.0.0.1", "-p", str(self.port),
                "channels4_site.asgi:application"]
        return self._process("daphne.%d" % number, argv, env)

    def start(self, timeout=30):
        bin_dir = channels4_venv.ensure()
        self.daphnes = [self._daphne(bin_dir, n + 1) for n in range(self.count)]
        self.redis.start()
        wait_for(lambda: port_open(self.redis_port) or not self.redis.alive(), timeout, "redis")
        for process in self.daphnes:
            process.start()
            # The port answers as soon as the first daphne's socket listens: wait for each log.
            wait_for(lambda: "Listening on" in process.log() or not process.alive(), timeout,
                     process.name)
        for process in [self.redis] + self.daphnes:
            if not process.alive():
                raise RuntimeError("channels4 %s exited:\n%s" % (process.name, process.log()))
        return self

    def pids(self):
        return [p.pid for p in [self.redis] + self.daphnes if p.alive()]

    def roles(self):
        return {"daphne": [p.pid for p in self.daphnes if p.alive()],
                "redis": [self.redis.pid] if self.redis.alive() else []}

    def stop(self):
        for process in self.daphnes + [self.redis]:
            process.stop()
        self.tmp.cleanup()
