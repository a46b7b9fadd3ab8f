"""The servers under test, started and stopped by the bench, and their CPU and memory.

``ProjectServer`` is the split as the run command starts it: the Procfile
expanded by channels_kit.testing.split (daphne + 2 runworkers + embedded Redis).
``ReferenceServer`` is bench/reference.py in its own process.
``Channels4Server`` is stock Channels 4 (bench/channels4) under one daphne 4
with its own Redis, from .venv-channels4. All bind free 127.0.0.1 ports.
CPU is user + system time of every process of the server (children
included: the embedded Redis), read with psutil before and after each
scenario, so one figure covers daphne, the workers and Redis together; it
is also shown per role (daphne, workers, redis), which says where a
server's time per operation goes.
"""
import os
import shlex
import subprocess
import sys
import tempfile

import psutil

from bench import ROOT, channels4_venv
from bench.inspector_watch import InspectorTab
from channels_kit import embedded_redis
from channels_kit.testing.split import Process, Split, free_port, port_open, wait_for


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

    def cpu_by_role(self):
        """CPU seconds (user + system, children included) of each role's processes."""
        return {role: total(tree(pids), cpu_seconds) for role, pids in self.roles().items()}

    def rss_mb(self):
        return total(tree(self.pids()), lambda process: process.memory_info().rss) / 2 ** 20


class ProjectServer(Server):
    """The project's split; ``env`` overrides settings for variants (e.g. stock asgi_redis)."""

    def __init__(self, name="project", workers=2, env=None):
        self.name = name
        self.tmp = tempfile.TemporaryDirectory(prefix="bench-%s-" % name)
        env = dict(env or {})
        env["DATABASE_PATH"] = os.path.join(self.tmp.name, "db.sqlite3")
        self.split = Split(workers=workers, log_dir=os.path.join(self.tmp.name, "logs"), env=env)

    @property
    def port(self):
        return self.split.port

    def start(self):
        self.split.start()
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
    """Stock Channels 4.3 + channels_redis with ONE daphne 4 and its own redis-server.

    The same Redis binary and flags as the project's split, so the two
    differ only in the Channels stack above Redis. Both processes are
    counted in the CPU figure, as daphne, workers and Redis are for the
    project's.
    """

    name = "channels4"
    site = os.path.join(ROOT, "bench", "channels4")

    def __init__(self):
        self.port, self.redis_port = free_port(), free_port()
        self.tmp = tempfile.TemporaryDirectory(prefix="bench-channels4-")
        self.redis = self._process("redis", embedded_redis.argv(self.redis_port), os.environ)
        self.daphne = None

    def _process(self, name, argv, env):
        return Process(name, shlex.join(argv), env, os.path.join(self.tmp.name, name + ".log"), ROOT)

    def _daphne(self, bin_dir):
        env = channels4_venv.clean_env()
        env.update(PYTHONPATH=self.site, PYTHONUNBUFFERED="1",
                   DJANGO_SETTINGS_MODULE="channels4_site.settings",
                   REDIS_URL="redis://127.0.0.1:%d/0" % self.redis_port)
        # daphne puts its working directory first on sys.path: start it in the
        # site, not in the repo root, whose asgi.py and consumers/ are the project's.
        argv = ["env", "-C", self.site, os.path.join(bin_dir, "daphne"),
                "-b", "127.0.0.1", "-p", str(self.port), "channels4_site.asgi:application"]
        return self._process("daphne", argv, env)

    def start(self, timeout=30):
        self.daphne = self._daphne(channels4_venv.ensure())
        for process, port in ((self.redis, self.redis_port), (self.daphne, self.port)):
            process.start()
            wait_for(lambda: port_open(port) or not process.alive(), timeout, process.name)
            if not process.alive():
                raise RuntimeError("channels4 %s exited:\n%s" % (process.name, process.log()))
        return self

    def pids(self):
        return [p.pid for p in (self.redis, self.daphne) if p is not None and p.alive()]

    def roles(self):
        return {role: [p.pid] for role, p in (("daphne", self.daphne), ("redis", self.redis))
                if p is not None and p.alive()}

    def stop(self):
        for process in (self.daphne, self.redis):
            if process is not None:
                process.stop()
        self.tmp.cleanup()
