"""The terminal service's lifecycle: restarts, idle timeout, the per-user limit.

These stop and kill the terminal service on purpose, so they run their own
split (redis, daphne, two runworkers, the service) with short limits, and
their own sshd. What they prove is the promise made to the browser: whatever
happens to the service, an open terminal ends with a status frame and a
close code, and never just hangs.
"""
import os
import signal
import time
import uuid

import pytest
import redis

from channels_example.terminal.session import CHECK_EVERY, MAX_QUEUED
from channels_kit.testing.split import wait_for
from tests.conftest import require_tool
from tests.support.splits import running_split
from tests.support.sshd import TemporarySSHD, find_sshd
from tests.support.terminal import Terminal, create_user, write, write_hosts


# Longer than a restart or a stall below takes, so only the idle test meets it.
IDLE_SECONDS = 8


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """(split, staff browser): a split whose one host, ``lab``, is a fresh sshd."""
    require_tool("sshd", find_sshd(), "apt-get install openssh-server (./run-tests does)")
    root = tmp_path_factory.mktemp("terminal-service")
    hosts = str(root / "hosts.toml")
    env = {"TERMINAL_HOSTS_FILE": hosts, "TERMINAL_RECORDINGS_DIR": str(root / "recordings"),
           "TERMINAL_IDLE_SECONDS": str(IDLE_SECONDS), "TERMINAL_MAX_SESSIONS": "1"}
    with running_split("terminal-service", root, env=env) as split:
        sshd = TemporarySSHD(root / "sshd", os.path.join(split.log_dir, "sshd.log")).start()
        try:
            # Read on every open, so it may come after the split started.
            write_hosts(hosts, [{"alias": "lab", "port": sshd.port, "key": sshd.client_key,
                                 "known_hosts": write(root / "known_hosts", sshd.known_hosts_line())}])
            yield split, create_user(split, "staff_%s" % uuid.uuid4().hex[:6])
        finally:
            sshd.stop()


def service(split):
    [process] = split.named("terminal")
    return process


def restart(process, sig):
    """Stop the service with ``sig`` and start it again; returns once it listens."""
    listened = process.log().count("Listening on channels")
    process.signal(sig)
    process.popen.wait(15)
    process.start()
    wait_for(lambda: process.log().count("Listening on channels") > listened, 30, "runterminal")


def running_terminal(split, browser):
    term = Terminal(split, browser.cookie_header)
    assert term.status()["status"] == "connected"
    term.type("echo $((6*7))\n")
    term.wait_for(b"42\r\n")
    return term


def assert_ended_by_service(term):
    while term.read_frame() is not None:
        pass
    last = term.statuses[-1]
    assert (last["status"], last["error"], last["close"]) == ("ended", "terminal-unavailable", 4609)
    assert term.close_code == 4609


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["stopped", "killed"])
def test_a_service_restart_ends_open_terminals_and_the_next_one_works(lab, sig):
    split, staff = lab
    term = running_terminal(split, staff)
    restart(service(split), sig)
    # SIGTERM: the service ends its sessions itself. SIGKILL: the next
    # service finds their sockets in Redis and ends them when it starts.
    assert_ended_by_service(term)
    running_terminal(split, staff).finish()


def test_input_to_a_service_that_died_ends_the_terminal(lab):
    split, staff = lab
    term = running_terminal(split, staff)
    process = service(split)
    process.signal(signal.SIGKILL)
    process.popen.wait(15)
    try:
        # Its heartbeat lapses within heartbeat_ttl; each frame checks it.
        heartbeat = redis.Redis(port=split.redis_port)
        wait_for(lambda: heartbeat.get("asgi:service.terminal") is None, 15, "the heartbeat to lapse")
        term.type("echo typed into the void\n")
        assert_ended_by_service(term)
    finally:
        restart(process, 0)


def test_a_second_session_over_the_limit_is_refused(lab):
    split, staff = lab
    first = running_terminal(split, staff)
    second = Terminal(split, staff.cookie_header)
    frame = second.status()
    assert (frame["error"], frame["close"]) == ("too-many-sessions", 4606)
    assert second.closed_with() == 4606
    first.finish()


def test_an_idle_terminal_ends_with_4607(lab):
    split, staff = lab
    term = running_terminal(split, staff)
    while term.read_frame() is not None:  # nothing typed from here on
        pass
    last = term.statuses[-1]
    assert (last["status"], last["error"], last["close"]) == ("ended", "idle-timeout", 4607)
    assert term.close_code == 4607


def test_output_waits_in_ssh_not_in_redis_while_daphne_is_stalled(lab):
    split, staff = lab
    term = running_terminal(split, staff)
    # A million lines of "y": 3 MB through the pty, far beyond the pause threshold.
    term.type("sleep 1; yes | head -n 1000000; echo $((600+66))\n")
    term.wait_for(b"sleep 1")
    daphne_lists = redis.Redis(port=split.redis_port)
    split.web.signal(signal.SIGSTOP)
    try:
        time.sleep(3)  # unpaused, the shell's output would pile up in Redis meanwhile
        queued = [daphne_lists.llen(key) for key in daphne_lists.keys("asgi:daphne.response*")]
    finally:
        split.web.signal(signal.SIGCONT)
    assert 0 < max(queued) <= MAX_QUEUED + CHECK_EVERY
    # Then all of it arrives, nothing dropped, and the shell carries on.
    output = term.wait_for(b"666\r\n", timeout=120)
    assert output.count(b"y\r\n") == 1000000
    term.finish()
