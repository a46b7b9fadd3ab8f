"""Start and stop the Channels 1.x process split described by the Procfile.

The run command hands the Procfile to ``channels_kit.operations.supervise``. Tests and
benchmarks use this module instead: it asks honcho to expand the *same*
Procfile into processes and then owns each one, so a test can kill or restart daphne or a single
worker while the rest keep running. Every process runs in its own session and
is stopped by PID (its process group), also when a test fails.
"""
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

from honcho.environ import expand_processes, parse_procfile


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

    def __init__(self, name, cmd, env, log_path, cwd):
        self.name, self.cmd, self.env, self.log_path, self.cwd = name, cmd, env, log_path, cwd
        self.popen = None
        # The log starts empty: a line an earlier run left there would satisfy
        # a wait for it. Restarts append, so the log tells the whole life.
        open(self.log_path, "wb").close()

    def start(self):
        log = open(self.log_path, "ab")
        self.popen = subprocess.Popen(
            ["/bin/sh", "-c", "exec " + self.cmd], cwd=self.cwd, env=self.env,
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
    """redis-server(s) + daphne(s) + N runworkers on free 127.0.0.1 ports.

    ``webs`` daphne processes share the layer, each on its own port, or all
    on one port with ``shared_port`` (SO_REUSEPORT, as ``DAPHNES=N ./run``
    starts them); ``shards`` redis-servers are all listed in REDIS_URL
    (comma-separated), so asgi_redis shards across them. The defaults are
    the Procfile's single daphne and single Redis.
    """

    def __init__(self, workers=2, log_dir=None, env=None, port=None, redis_port=None,
                 webs=1, shards=1, root=None, python=None, shared_port=False):
        # The project directory: its Procfile and manage.py; the current one by default.
        self.root = os.path.abspath(root or os.getcwd())
        # The interpreter of the project's environment: it runs manage.py, and
        # its bin directory comes first on PATH, so the Procfile's "python" and
        # "daphne" are that environment's too. This one by default.
        self.python = python or sys.executable
        self.shared_port = shared_port
        first = port or free_port()
        self.ports = [first] + [first if shared_port else free_port() for _ in range(webs - 1)]
        self.redis_ports = [redis_port or free_port()] + [free_port() for _ in range(shards - 1)]
        self.redis_urls = ["redis://127.0.0.1:%d/0" % p for p in self.redis_ports]
        self.redis_url = ",".join(self.redis_urls)
        self.log_dir = log_dir or os.path.join(self.root, "test-artifacts", "logs")
        os.makedirs(self.log_dir, exist_ok=True)
        # Where every process of the split writes its Prometheus metrics: fresh
        # for each split, made when it starts, removed when it stops (channels_kit.metrics).
        self.metrics_dir = os.path.join(tempfile.gettempdir(), "split-metrics-" + secrets.token_hex(8))
        # Each of N daphnes on one port allows its share of the per-address limit.
        self.env = self._environment(dict({"DAPHNES": str(webs)} if shared_port else {}, **(env or {})))
        self.processes = self._expand(workers, webs, shards)

    def _environment(self, extra):
        env = dict(os.environ)
        env["PATH"] = os.path.dirname(self.python) + os.pathsep + env.get("PATH", "")
        env["REDIS_URL"] = self.redis_url
        env["PYTHONUNBUFFERED"] = "1"
        env["PROMETHEUS_MULTIPROC_DIR"] = self.metrics_dir
        env.update(extra)
        return env

    def _expand(self, workers, webs, shards):
        with open(os.path.join(self.root, "Procfile")) as f:
            procfile = parse_procfile(f.read())
        params = expand_processes(procfile.processes,
                                  concurrency={"worker": workers, "web": webs, "redis": shards,
                                               "terminal": 1},
                                  env=self.env, port=self.port)
        processes = {}
        for p in params:
            kind, number = p.name.split(".")
            # honcho numbers ports from the base; each process here gets its own free one.
            if kind == "web":
                p.env["PORT"] = p.env["DAPHNE_PORT"] = str(self.ports[int(number) - 1])
            elif kind == "redis":
                p.env["REDIS_URL"] = self.redis_urls[int(number) - 1]
            processes[p.name] = Process(p.name, p.cmd, p.env,
                                        os.path.join(self.log_dir, p.name + ".log"), self.root)
        return processes

    @property
    def port(self):
        return self.ports[0]

    @property
    def redis_port(self):
        return self.redis_ports[0]

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    @property
    def ws_url(self):
        return self.ws_urls[0]

    @property
    def ws_urls(self):
        return ["ws://127.0.0.1:%d" % port for port in self.ports]

    def named(self, prefix):
        return [p for name, p in sorted(self.processes.items()) if name.startswith(prefix + ".")]

    @property
    def web(self):
        return self.processes["web.1"]

    @property
    def webs(self):
        return self.named("web")

    @property
    def workers(self):
        return self.named("worker")

    @property
    def services(self):
        """The Procfile's other processes (the terminal service): started with the workers."""
        return [p for name, p in sorted(self.processes.items())
                if name.split(".")[0] not in ("web", "worker", "redis")]

    @property
    def redis(self):
        return self.processes["redis.1"]

    @property
    def redises(self):
        return self.named("redis")

    def manage(self, *args):
        """Run a manage.py command against this split's settings."""
        os.makedirs(self.metrics_dir, exist_ok=True)  # its metrics go there too
        return subprocess.run([self.python, "manage.py", *args], cwd=self.root, env=self.env,
                              check=True, capture_output=True, text=True)

    def start(self, timeout=30):
        self.manage("migrate", "--noinput")
        self.start_redis(timeout)
        for process in self.workers + self.services:
            process.start()
        self.start_web(timeout)
        for process in self.workers + self.services:
            wait_for(lambda: "Listening on channels" in process.log() or not process.alive(),
                     timeout, process.name + " to listen")
            if not process.alive():
                raise RuntimeError("%s exited:\n%s" % (process.name, process.log()))
        return self

    def start_redis(self, timeout=30):
        """Start every redis-server that is not running (all of them at first)."""
        for process, port in zip(self.redises, self.redis_ports):
            if not process.alive():
                process.start()
                wait_for(lambda: port_open(port), timeout, process.name)

    def start_web(self, timeout=30):
        """Start every daphne that is not running (all of them at first)."""
        for process, port in zip(self.webs, self.ports):
            if process.alive():
                continue
            process.start()
            # On a shared port an earlier daphne answers already: wait for this one's log.
            wait_for(lambda: (port_open(port) and (not self.shared_port or
                                                   "Listening on endpoint" in process.log()))
                     or not process.alive(), timeout, process.name)
            if not process.alive():
                raise RuntimeError("%s exited:\n%s" % (process.name, process.log()))

    def stop(self):
        for process in self.processes.values():
            process.stop()
        shutil.rmtree(self.metrics_dir, ignore_errors=True)

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.stop()  # what did start (Redis, say) must not outlive a failed start
            raise

    def __exit__(self, *exc):
        self.stop()
