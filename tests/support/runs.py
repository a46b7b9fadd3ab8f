"""The real ``./run`` in a test: started as a newcomer starts it, watched, stopped as Ctrl-C would.

Each run gets a database and a run-settings file of its own (in the test's
``tmp_path``) and writes its output to test-artifacts/logs/.
"""
import json
import os
import signal
import subprocess
import urllib.request

import psutil

from tests.support.paths import ARTIFACTS, ROOT

START_TIMEOUT = 90  # a first ./run may check the venv's pins before it starts


def run_command(tmp_path, log_name, **env):
    """Start ./run in a session of its own; its output goes to test-artifacts/logs/."""
    os.makedirs(os.path.join(ARTIFACTS, "logs"), exist_ok=True)
    log = open(os.path.join(ARTIFACTS, "logs", log_name), "wb")
    settings = {"DATABASE_PATH": str(tmp_path / "db.sqlite3"),
                "RUN_ENV_FILE": str(tmp_path / "run.env")}
    base = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    process = subprocess.Popen(
        [os.path.join(ROOT, "run")], cwd=ROOT, env=dict(base, **settings, **env),
        stdout=log, stderr=subprocess.PIPE, start_new_session=True)
    log.close()
    return process


def stop_run(run, timeout=30):
    """SIGTERM, as Ctrl-C's stop; a ./run still there after ``timeout`` seconds is killed, group and all."""
    run.send_signal(signal.SIGTERM)
    try:
        run.wait(timeout)
    except subprocess.TimeoutExpired:
        pass
    if run.poll() is None:
        os.killpg(run.pid, signal.SIGKILL)
        run.wait(10)


def health(port):
    """Whether the split on ``port`` answers /health/ with Redis and the database ok."""
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/health/" % port, timeout=2) as response:
            return json.loads(response.read()) == {"redis": "ok", "db": "ok"}
    except OSError:
        return False


def children_running(run, name):
    """The live descendants of ./run whose command line mentions ``name``."""
    found = []
    for child in psutil.Process(run.pid).children(recursive=True):
        try:
            if name in " ".join(child.cmdline()) and child.status() != psutil.STATUS_ZOMBIE:
                found.append(child)
        except psutil.NoSuchProcess:
            continue
    return found


def started_since(run, name, before):
    """A process named ``name`` runs that did not run ``before`` (a set of pids)."""
    return any(child.pid not in before for child in children_running(run, name))
