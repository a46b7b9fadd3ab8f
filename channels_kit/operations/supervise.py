"""Run the Procfile's processes and keep them running, as the deploy units do.

``python -m channels_kit.operations.supervise [-c worker=2] [--env-file F --share A,B] redis web worker``

``honcho start`` stops the whole group the moment any one process exits, so
under it a Redis restart or a daphne crash ends everything, while systemd
(deploy/) restarts just the unit that died. This is the systemd behaviour in
a foreground command: the Procfile is expanded by honcho's own parser (same
commands, same ``name.N`` numbering, same ``$PORT``), each process runs in
its own session, and one that exits is started again after a backoff (1 s,
doubling to 30 s, back to 1 s once it has stayed up for 10 s), with a line
saying so. Ctrl-C or SIGTERM sends SIGTERM to every process group, waits for
them (a worker finishes its message in hand), kills what is left, and exits.

``--env-file`` writes the variables named by ``--share`` (those that are set)
to a file for commands run beside the split (``channels_kit.operations.run_env``), and
removes it on exit; ``--pid-file`` writes the supervisor's pid the same way.

SIGUSR1 (``./run restart-daphnes``) restarts the daphnes one at a time, each
replaced before it stops: its successor starts on the shared port and says it
listens, then it gets SIGTERM and drains (channels_kit.daphne.drain), its
sockets reconnecting to the daphnes that listen.
"""
import argparse
import collections
import os
import signal
import subprocess
import sys
import threading
import time

from honcho.environ import expand_processes, parse_procfile

from channels_kit.operations import run_env

FIRST_DELAY = 1.0
MAX_DELAY = 30.0
# A process that ran this long before exiting was working: restart it quickly.
STABLE_AFTER = 10.0
# Over channels_kit.daphne.Limits.drain_seconds: a stopping daphne delivers
# what it accepted before it exits.
STOP_TIMEOUT = 15.0
# The line a process prints once it takes connections, per Procfile type: a
# rolling restart stops a daphne only after its successor printed it.
READY_LINES = {"web": "Listening on endpoint"}
READY_TIMEOUT = 60.0


def say(name, text):
    """One output line, prefixed like honcho's, so logs read the same as before.

    A closed stdout (``./run | head``) loses the line, nothing else: the
    children's output must still be drained, or they block on a full pipe.
    """
    try:
        sys.stdout.write("%s %-9s| %s\n" % (time.strftime("%H:%M:%S"), name, text))
        sys.stdout.flush()
    except (OSError, ValueError):
        pass


# prctl(PR_SET_PDEATHSIG, SIGTERM) in each child: the kernel sends it SIGTERM
# when the supervisor dies, so not even ``kill -9`` of the supervisor leaves the
# split running. Looked up here, in the parent, because the child runs between
# fork and exec, where loading a library is not safe.
if sys.platform.startswith("linux"):
    import ctypes
    _prctl = ctypes.CDLL(None, use_errno=True).prctl

    def _die_with_parent():
        _prctl(1, signal.SIGTERM)
else:
    _die_with_parent = None


def signal_group(popen, signum):
    """``signum`` to the process group ``popen`` leads, so what a shell line started gets it too."""
    try:
        os.killpg(popen.pid, signum)
    except ProcessLookupError:
        pass


class Supervised:
    """One ``name.N`` process: its command, its current child, its restart schedule."""

    def __init__(self, name, cmd, env):
        self.name, self.cmd, self.env = name, cmd, env
        self.kind = name.partition(".")[0]  # the Procfile type: "worker" for worker.2
        self.popen = None
        self.started_at = 0.0
        self.delay = FIRST_DELAY
        self.restart_at = None  # monotonic time of the next start while it is down
        self.reader = None  # the thread copying its output, prefixed, to stdout
        self.ready = threading.Event()  # it printed its READY_LINES line

    def start(self):
        self.popen = subprocess.Popen(
            ["/bin/sh", "-c", "exec " + self.cmd], env=self.env,
            # Its own session: Ctrl-C reaches only the supervisor, which stops
            # the children in order, and a restart kills no neighbour.
            start_new_session=True, preexec_fn=_die_with_parent,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
        self.started_at = time.monotonic()
        self.restart_at = None
        self.ready = threading.Event()
        self.reader = threading.Thread(target=self._copy_output, args=(self.popen.stdout, self.ready),
                                       daemon=True)
        self.reader.start()
        say("supervise", "%s started (pid %d)" % (self.name, self.popen.pid))

    def _copy_output(self, stream, ready):
        ready_line = READY_LINES.get(self.kind)
        for line in iter(stream.readline, b""):
            text = line.decode(errors="replace").rstrip("\n")
            if ready_line and ready_line in text:
                ready.set()
            say(self.name, text)
        stream.close()

    def alive(self):
        return self.popen is not None and self.popen.poll() is None

    def check(self, now):
        """Notice an exit and schedule the restart; start it when its time has come."""
        if self.restart_at is None and not self.alive():
            if now - self.started_at >= STABLE_AFTER:
                self.delay = FIRST_DELAY
            self.restart_at = now + self.delay
            say("supervise", "%s (pid %d) exited with code %s; restarting in %.0f s"
                % (self.name, self.popen.pid, self.popen.returncode, self.delay))
            self.delay = min(self.delay * 2, MAX_DELAY)
        elif self.restart_at is not None and now >= self.restart_at:
            self.start()

    def signal(self, signum):
        if self.alive():
            signal_group(self.popen, signum)


class Replaced:
    """A process's child on its way out: its successor runs, it was sent SIGTERM."""

    def __init__(self, process):
        self.name, self.popen, self.reader = process.name, process.popen, process.reader
        self.signalled = False

    def alive(self):
        return self.popen.poll() is None

    def signal(self, signum):
        if self.alive():
            signal_group(self.popen, signum)


class RollingRestart:
    """Restart ``processes`` one at a time; each successor is ready before its predecessor stops.

    Stepped from the supervisor's loop, so the other processes stay watched.
    A successor that exits or is not ready in READY_TIMEOUT is stopped, its
    predecessor kept, and the restart ends there.
    """

    def __init__(self, processes):
        self.waiting = list(processes)
        self.process = None       # the one being replaced
        self.old = None           # its Replaced predecessor
        self.since = None         # when the current phase began
        self.finished = False

    def step(self, now):
        if self.process is None:
            return self.next(now)
        if not self.old.signalled:
            return self.await_successor(now)
        return self.await_exit(now)

    def next(self, now):
        if not self.waiting:
            self.finished = True
            say("supervise", "rolling restart done")
            return
        self.process = self.waiting.pop(0)
        self.old = Replaced(self.process)
        self.since = now
        say("supervise", "rolling restart: starting %s's successor" % self.process.name)
        self.process.start()

    def await_successor(self, now):
        process, old = self.process, self.old
        if process.ready.is_set():
            say("supervise", "rolling restart: %s (pid %d) listens; stopping pid %d"
                % (process.name, process.popen.pid, old.popen.pid))
            old.signal(signal.SIGTERM)
            old.signalled, self.since = True, now
        elif not process.alive() or now - self.since > READY_TIMEOUT:
            say("supervise", "rolling restart stopped: %s's successor did not start; "
                             "keeping pid %d" % (process.name, old.popen.pid))
            process.signal(signal.SIGKILL)
            process.popen.wait()
            process.popen, process.reader = old.popen, old.reader
            self.waiting, self.process = [], None
            self.finished = True

    def await_exit(self, now):
        old = self.old
        if old.alive() and now - self.since > STOP_TIMEOUT:
            say("supervise", "%s (pid %d) did not stop in %.0f s; killing it"
                % (old.name, old.popen.pid, STOP_TIMEOUT))
            old.signal(signal.SIGKILL)
        if not old.alive():
            say("supervise", "rolling restart: pid %d of %s exited with code %s"
                % (old.popen.pid, old.name, old.popen.returncode))
            old.reader.join(1)
            self.process = self.old = None

    def stop(self, signum):
        if self.old is not None:
            self.old.signal(signum)


class Supervisor:
    def __init__(self, processes):
        self.processes = processes
        self.stopping = False
        self.restart_asked = False
        self.restart = None       # the RollingRestart under way

    def request_stop(self, signum, frame):
        self.stopping = True

    def request_restart(self, signum, frame):
        self.restart_asked = True

    def handle_signals(self):
        """Ctrl-C, SIGTERM, SIGHUP stop; SIGUSR1 asks for a rolling restart (before the pid file names it)."""
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, self.request_stop)
        signal.signal(signal.SIGUSR1, self.request_restart)
        return self

    def run(self):
        for process in self.processes:
            process.start()
        while not self.stopping:
            now = time.monotonic()
            self.step_restart(now)
            for process in self.processes:
                process.check(now)
            time.sleep(0.2)
        self.stop()

    def step_restart(self, now):
        if self.restart_asked and self.restart is None:
            self.restart_asked = False
            webs = [p for p in self.processes if p.kind == "web"]
            say("supervise", "rolling restart of %d daphnes" % len(webs))
            self.restart = RollingRestart(webs)
        if self.restart is not None:
            self.restart.step(now)
            if self.restart.finished:
                self.restart = None

    def stop(self):
        """SIGTERM one process type at a time, in Procfile order (web, worker,
        redis here): daphne stops taking frames, the workers finish what they
        hold while Redis is still up, Redis goes last. Whatever is still
        running when STOP_TIMEOUT is up is killed."""
        say("supervise", "stopping %d processes" % len(self.processes))
        if self.restart is not None:
            self.restart.stop(signal.SIGTERM)  # a predecessor still draining
        deadline = time.monotonic() + STOP_TIMEOUT
        for kind in collections.OrderedDict.fromkeys(p.kind for p in self.processes):
            group = [p for p in self.processes if p.kind == kind]
            for process in group:
                process.signal(signal.SIGTERM)
            while time.monotonic() < deadline and any(p.alive() for p in group):
                time.sleep(0.1)
        if self.restart is not None:
            self.restart.stop(signal.SIGKILL)
        for process in self.processes:
            if process.alive():
                say("supervise", "%s did not stop in %.0f s; killing it" % (process.name, STOP_TIMEOUT))
                process.signal(signal.SIGKILL)
            if process.popen is not None:
                process.popen.wait()
                process.reader.join(1)  # its last lines ("finishing the message in hand")


def concurrency(text):
    """honcho's ``-c worker=2,web=1`` syntax."""
    counts = {}
    for item in filter(None, text.split(",")):
        name, _, count = item.partition("=")
        counts[name.strip()] = int(count)
    return counts


def processes_from(procfile_path, names, counts):
    with open(procfile_path) as f:
        procfile = parse_procfile(f.read())
    unknown = [name for name in names if name not in procfile.processes]
    if unknown:
        raise SystemExit("supervise: not in %s: %s" % (procfile_path, ", ".join(unknown)))
    # Procfile order, as honcho start uses: it numbers $PORT by position (the
    # first type gets $PORT, the next $PORT+100), so web must stay first.
    chosen = collections.OrderedDict(
        (name, cmd) for name, cmd in procfile.processes.items() if name in names)
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    return [Supervised(p.name, p.cmd, p.env)
            for p in expand_processes(chosen, concurrency=counts, env=env)]


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m channels_kit.operations.supervise",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("names", nargs="+", help="Procfile process types to run")
    parser.add_argument("-f", "--procfile", default="Procfile")
    parser.add_argument("-c", "--concurrency", type=concurrency, default={},
                        help="how many of each, e.g. worker=2,web=1")
    parser.add_argument("--env-file", help="write the --share variables here while running")
    parser.add_argument("--share", default="", help="comma-separated variable names for --env-file")
    parser.add_argument("--pid-file", help="write this supervisor's pid here while running "
                                           "(./run restart-daphnes sends it SIGUSR1)")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    processes = processes_from(args.procfile, args.names, args.concurrency)
    if args.env_file:
        shared = [name for name in args.share.split(",") if name in os.environ]
        run_env.write(args.env_file, {name: os.environ[name] for name in shared})
    supervisor = Supervisor(processes).handle_signals()
    if args.pid_file:
        with open(args.pid_file, "w") as f:
            f.write("%d\n" % os.getpid())
    try:
        supervisor.run()
    finally:
        if args.env_file:
            run_env.remove(args.env_file)
        if args.pid_file and os.path.exists(args.pid_file):
            os.remove(args.pid_file)
    return 0


if __name__ == "__main__":
    sys.exit(main())
