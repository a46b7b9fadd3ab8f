"""Start and stop the Channels 1.x process split described by the Procfile.

The run command hands the Procfile to honcho. Tests and benchmarks use this
module instead: it asks honcho to expand the *same* Procfile into processes
and then owns each one, so a test can kill or restart daphne or a single
worker while the rest keep running. Every process runs in its own session and
is stopped by PID (its process group), also when a test fails.
"""
import os
import signal
import socket
import subprocess
import sys
import time

from honcho.environ import expand_processes, parse_procfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROCFILE = os.path.join(ROOT, "Procfile")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise TimeoutError("timed out after %ss waiting for %s" % (timeout, what))


def port_open(port):
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


class Process:
    """One Procfile process, started through the shell so $VARS expand."""

    def __init__(self, name, cmd, env, log_path):
        self.name, self.cmd, self.env, self.log_path = name, cmd, env, log_path
        self.popen = None

    def start(self):
        log = open(self.log_path, "ab")
        self.popen = subprocess.Popen(
            ["/bin/sh", "-c", "exec " + self.cmd], cwd=ROOT, env=self.env,
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        log.close()

    @property
    def pid(self):
        return self.popen.pid

    def alive(self):
        return self.popen is not None and self.popen.poll() is None

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def signal(self, signum):
        if self.alive():
            os.killpg(self.popen.pid, signum)

    def stop(self, timeout=10):
        """SIGTERM, then SIGKILL if it has not gone within ``timeout``; returns the exit code."""
        if self.popen is None:
            return None
        self.signal(signal.SIGTERM)
        try:
            return self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.signal(signal.SIGKILL)
            return self.popen.wait(5)


class Split:
    """redis-server + daphne + N runworkers on free 127.0.0.1 ports."""

    def __init__(self, workers=2, log_dir=None, env=None, port=None, redis_port=None):
        self.port = port or free_port()
        self.redis_port = redis_port or free_port()
        self.redis_url = "redis://127.0.0.1:%d/0" % self.redis_port
        self.log_dir = log_dir or os.path.join(ROOT, "test-artifacts", "logs")
        os.makedirs(self.log_dir, exist_ok=True)
        self.env = self._environment(env or {})
        self.processes = self._expand(workers)

    def _environment(self, extra):
        env = dict(os.environ)
        env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
        env["REDIS_URL"] = self.redis_url
        env["PYTHONUNBUFFERED"] = "1"
        env.update(extra)
        return env

    def _expand(self, workers):
        with open(PROCFILE) as f:
            procfile = parse_procfile(f.read())
        params = expand_processes(procfile.processes, concurrency={"worker": workers},
                                  env=self.env, port=self.port)
        return {
            p.name: Process(p.name, p.cmd, p.env, os.path.join(self.log_dir, p.name + ".log"))
            for p in params
        }

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    @property
    def ws_url(self):
        return "ws://127.0.0.1:%d" % self.port

    def named(self, prefix):
        return [p for name, p in sorted(self.processes.items()) if name.startswith(prefix + ".")]

    @property
    def web(self):
        return self.processes["web.1"]

    @property
    def workers(self):
        return self.named("worker")

    @property
    def redis(self):
        return self.processes["redis.1"]

    def manage(self, *args):
        """Run a manage.py command against this split's settings."""
        return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=self.env,
                              check=True, capture_output=True, text=True)

    def start(self, timeout=30):
        self.manage("migrate", "--noinput")
        self.start_redis(timeout)
        for process in self.workers:
            process.start()
        self.start_web(timeout)
        for process in self.workers:
            wait_for(lambda: "Listening on channels" in process.log() or not process.alive(),
                     timeout, process.name + " to listen")
            if not process.alive():
                raise RuntimeError("%s exited:\n%s" % (process.name, process.log()))
        return self

    def start_redis(self, timeout=30):
        self.redis.start()
        wait_for(lambda: port_open(self.redis_port), timeout, "redis-server")

    def start_web(self, timeout=30):
        self.web.start()
        wait_for(lambda: port_open(self.port) or not self.web.alive(), timeout, "daphne")
        if not self.web.alive():
            raise RuntimeError("daphne exited:\n%s" % self.web.log())

    def stop(self):
        for process in self.processes.values():
            process.stop()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
