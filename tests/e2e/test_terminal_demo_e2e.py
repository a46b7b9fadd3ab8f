"""``./run terminal-demo`` as a first-time user runs it: a shell on this machine in the browser.

The real ``./run terminal-demo`` on free ports with a database of its own:
it starts the split and a loopback-only sshd as the current user with a key
made for this run; a staff user opens /terminal/this-machine/ and gets a
shell. Stopped as Ctrl-C would, it leaves no sshd behind.
"""
import os
import shutil
import subprocess
import sys
import types
import uuid

import psutil

from channels_example.terminal import demo
from channels_example.terminal.hosts import load_hosts
from channels_kit.testing.split import free_port, port_open, wait_for
from tests.conftest import require_tool
from tests.support.browser import logged_in
from tests.support.paths import ARTIFACTS, ROOT
from tests.support.runs import health, stop_run
from tests.support.terminal import PASSWORD, Terminal

START_TIMEOUT = 90  # a first ./run may check the venv's pins before it starts


def environment(tmp_path, **extra):
    """The machine's environment without REDIS_URL, with this test's database and run file."""
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env.update(DATABASE_PATH=str(tmp_path / "db.sqlite3"), RUN_ENV_FILE=str(tmp_path / "run.env"),
               **extra)
    return env


def run_terminal_demo(tmp_path, port):
    """``./run terminal-demo`` in a session of its own; its output in test-artifacts/logs/."""
    os.makedirs(os.path.join(ARTIFACTS, "logs"), exist_ok=True)
    with open(os.path.join(ARTIFACTS, "logs", "run-terminal-demo.log"), "wb") as log:
        return subprocess.Popen(
            [os.path.join(ROOT, "run"), "terminal-demo"], cwd=ROOT, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True,
            env=environment(tmp_path, PORT=str(port), REDIS_PORT=str(free_port())))


def create_staff(tmp_path, username):
    env = environment(tmp_path)
    subprocess.run([sys.executable, "manage.py", "shell", "-c",
                    "from django.contrib.auth.models import User; "
                    "User.objects.create_user(%r, password=%r, is_staff=True)"
                    % (username, PASSWORD)], cwd=ROOT, env=env, check=True, capture_output=True,
                   timeout=60)


def sshd_of(run):
    """The sshd ./run supervises (the listening parent, not a session's child)."""
    found = [child for child in psutil.Process(run.pid).children(recursive=True)
             if "sshd_config" in " ".join(child.cmdline())]
    return min(found, key=lambda child: child.create_time()) if found else None


def test_run_terminal_demo_gives_a_staff_user_a_shell_here_and_stops_its_sshd(tmp_path):
    require_tool("sshd", demo.find_sshd(), "apt-get install openssh-server (./run-tests does)")
    port = free_port()
    directory = os.path.join(ROOT, "var", "terminal-demo-%d" % port)
    run = run_terminal_demo(tmp_path, port)
    try:
        wait_for(lambda: health(port) or run.poll() is not None, START_TIMEOUT, "./run to serve")
        assert run.poll() is None, "./run exited: see test-artifacts/logs/run-terminal-demo.log"
        host = load_hosts(os.path.join(directory, "hosts.toml"))[demo.ALIAS]
        wait_for(lambda: port_open(host.port), 30, "the demo's sshd")
        sshd = sshd_of(run)
        listening = [c.laddr for c in sshd.net_connections("inet") if c.status == psutil.CONN_LISTEN]
        assert listening == [("127.0.0.1", host.port)]
        # The key made for this run stays out of git.
        assert subprocess.run(["git", "check-ignore", "-q", host.key_file], cwd=ROOT).returncode == 0

        username = "staff_%s" % uuid.uuid4().hex[:6]
        create_staff(tmp_path, username)
        site = types.SimpleNamespace(url="http://127.0.0.1:%d" % port,
                                     ws_url="ws://127.0.0.1:%d" % port)
        term = Terminal(site, logged_in(site, username, PASSWORD).cookie_header, alias=demo.ALIAS)
        assert term.status()["status"] == "connected"
        term.type("echo $((6*7)) $USER\n")
        term.wait_for(("42 %s\r\n" % host.username).encode())
        term.finish()
    finally:
        stop_run(run)
    assert not port_open(host.port), "the demo's sshd outlived ./run"
    shutil.rmtree(directory, ignore_errors=True)
