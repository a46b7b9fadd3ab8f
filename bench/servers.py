"""The servers under test, started and stopped by the bench, and their CPU and memory.

``ProjectServer`` is the split as the run command starts it: the Procfile
expanded by channels_example.split (daphne + 2 runworkers + embedded Redis).
``ReferenceServer`` is bench/reference.py in its own process. Both bind free
127.0.0.1 ports. CPU is user + system time of every process of the server
(children included: the embedded Redis), read with psutil before and after
each scenario, so one figure covers daphne, the workers and Redis together.
"""
import os
import subprocess
import sys
import tempfile

import psutil

from channels_example.split import ROOT, Split, free_port, port_open, wait_for


class Server:
    name = None

    def pids(self):
        raise NotImplementedError

    def processes(self):
        found = []
        for pid in self.pids():
            try:
                process = psutil.Process(pid)
                found.append(process)
                found.extend(process.children(recursive=True))
            except psutil.NoSuchProcess:
                pass
        return found

    def cpu_seconds(self):
        total = 0.0
        for process in self.processes():
            try:
                times = process.cpu_times()
                total += times.user + times.system
            except psutil.NoSuchProcess:
                pass
        return total

    def rss_mb(self):
        total = 0
        for process in self.processes():
            try:
                total += process.memory_info().rss
            except psutil.NoSuchProcess:
                pass
        return total / 2 ** 20


# Bench clients send as fast as the server answers, far past the per-socket
# flood limit meant for people (docs/reliability.md), which would close them
# mid-scenario. The rate limit is off here; the limiter still wraps daphne's
# layer and checks frame sizes and connections, so its cost is measured.
LOAD_TEST_ENV = {"WS_RATE": "0"}


class ProjectServer(Server):
    """The project's split; ``env`` overrides settings for variants (e.g. stock asgi_redis)."""

    def __init__(self, name="project", workers=2, env=None):
        self.name = name
        self.tmp = tempfile.TemporaryDirectory(prefix="bench-%s-" % name)
        env = dict(LOAD_TEST_ENV, **(env or {}))
        env["DATABASE_PATH"] = os.path.join(self.tmp.name, "db.sqlite3")
        self.split = Split(workers=workers, log_dir=os.path.join(self.tmp.name, "logs"), env=env)

    @property
    def ws_url(self):
        return self.split.ws_url

    @property
    def origin(self):
        return self.split.url

    def start(self):
        self.split.start()
        return self

    def pids(self):
        return [process.pid for process in self.split.processes.values() if process.alive()]

    def stop(self):
        self.split.stop()
        self.tmp.cleanup()


class ReferenceServer(Server):
    name = "reference"

    def __init__(self):
        self.port = free_port()
        self.popen = None

    @property
    def ws_url(self):
        return "ws://127.0.0.1:%d" % self.port

    @property
    def origin(self):
        return "http://127.0.0.1:%d" % self.port

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
