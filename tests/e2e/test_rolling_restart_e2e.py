"""Deploys that drop nobody: ``./run restart-daphnes`` under load, two daphnes on one port.

The real ``./run`` (DAPHNES=2, SO_REUSEPORT) serves 200 sockets in five chat
rooms, every member sending throughout, while its daphnes are restarted one
at a time. Each stopping daphne stops listening, tells its sockets
``service-restart``, reads on, closes them with 1012 and delivers what they
sent; the members (tests/support/room_crowd.py, socket.js's behaviour)
reconnect to the daphnes that listen and catch up through the room's history.

What a user would see is asserted: no handshake refused, no close without the
notice, every message sent shown exactly once to every member of its room
(live or caught up), every member back in its room within REJOIN_BOUND of its
notice. The sockets come from forty loopback addresses, so the per-address
limit stays at its default. The bounds are generous and stated: the CI
machine has two busy cores, and slowness is not loss.
"""
import asyncio
import collections
import json
import os
import random
import re
import subprocess
import time
import urllib.request

import pytest

from channels_kit.testing.split import free_port, wait_for
from tests.support.runs import START_TIMEOUT, children_running, health, run_command, stop_run
from tests.support.paths import ARTIFACTS, ROOT
from tests.support.room_crowd import Member

ROOMS = 5
MEMBERS = 40            # per room: 200 sockets; member n of each room connects from 127.0.0.(n+2)
SEND_EVERY = 3.0        # seconds between one member's messages (about 65 a second in all)
LOAD_BEFORE = 3.0       # seconds of sending before the restart, and after it
# Bounds, each far above what a quiet machine takes:
JOIN_BOUND = 120        # all 200 sockets open and caught up at the start
RESTART_BOUND = 180     # ./run restart-daphnes done (two daphnes, each drained)
REJOIN_BOUND = 30       # one member: from its notice until its next history frame
DELIVERY_BOUND = 60     # every message sent shown to every member, after the last send
LOG_NAME = "run-rolling-restart.log"


def log_text():
    with open(os.path.join(ARTIFACTS, "logs", LOG_NAME), errors="replace") as f:
        return f.read()


@pytest.fixture
def two_daphnes(tmp_path):
    port = free_port()
    pid_file = str(tmp_path / "run.pid")
    run = run_command(tmp_path, LOG_NAME, PORT=str(port), REDIS_PORT=str(free_port()),
                      DAPHNES="2", RUN_PID_FILE=pid_file, ROOM_HISTORY="2000")
    try:
        wait_for(lambda: health(port) or run.poll() is not None, START_TIMEOUT, "./run to serve")
        assert run.poll() is None, run.stderr.read().decode()
        wait_for(lambda: len(children_running(run, "daphne")) == 2, 30, "two daphnes")
        yield run, port, pid_file
    finally:
        stop_run(run, timeout=40)


async def until(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("timed out after %ss waiting for %s" % (timeout, what))
        await asyncio.sleep(0.2)


async def keep_sending(member, sending):
    await asyncio.sleep(random.random() * SEND_EVERY)
    number = 0
    while sending.is_set():
        if await member.send("%s-%d" % (member.name, number)):
            number += 1
        await asyncio.sleep(SEND_EVERY)


def restart_daphnes(port, pid_file):
    done = subprocess.run([os.path.join(ROOT, "run"), "restart-daphnes"], cwd=ROOT,
                          env=dict(os.environ, PORT=str(port), RUN_PID_FILE=pid_file),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def metrics(port):
    """The host's /metrics samples, by name and labels as written."""
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=30) as response:
        lines = response.read().decode().splitlines()
    return {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
            for line in lines if line and not line.startswith("#")}


def delivered(members):
    """Whether every member has shown every message sent in its room."""
    sent = collections.defaultdict(set)
    for member in members:
        sent[member.room].update(member.sent)
    return all(sent[m.room] <= set(m.texts) for m in members)


async def restart_under_load(port, pid_file):
    rooms = ["restart-%d-%d" % (os.getpid(), n) for n in range(ROOMS)]
    members = [Member("ws://127.0.0.1:%d" % port, "http://127.0.0.1:%d" % port, room,
                      "%s-m%d" % (room, n), "127.0.0.%d" % (2 + n))
               for room in rooms for n in range(MEMBERS)]
    readers = [asyncio.ensure_future(member.run()) for member in members]
    sending = asyncio.Event()
    try:
        await until(lambda: all(m.joined.is_set() for m in members), JOIN_BOUND, "every member")
        sending.set()
        senders = [asyncio.ensure_future(keep_sending(m, sending)) for m in members]
        await asyncio.sleep(LOAD_BEFORE)
        await asyncio.get_running_loop().run_in_executor(None, restart_daphnes, port, pid_file)
        await until(lambda: "rolling restart done" in log_text(), RESTART_BOUND,
                    "the rolling restart")
        await asyncio.sleep(LOAD_BEFORE)
        sending.clear()
        await asyncio.gather(*senders)
        await until(lambda: all(m.joined.is_set() for m in members), REJOIN_BOUND,
                    "every member back in its room")
        await until(lambda: delivered(members), DELIVERY_BOUND, "every message to every member")
    finally:
        await asyncio.gather(*(m.stop() for m in members), return_exceptions=True)
        await asyncio.gather(*readers, return_exceptions=True)
    return members


def test_a_rolling_restart_under_load_refuses_and_loses_nothing(two_daphnes):
    run, port, pid_file = two_daphnes
    before = {p.pid for p in children_running(run, "daphne")}

    members = asyncio.run(restart_under_load(port, pid_file))

    assert [m.refused for m in members if m.refused] == []
    assert [m.unannounced for m in members if m.unannounced] == []
    sent = collections.defaultdict(list)
    for member in members:
        sent[member.room].extend(member.sent)
    assert sum(len(texts) for texts in sent.values()) > ROOMS * MEMBERS  # it was under load
    for member in members:
        shown = collections.Counter(member.texts)
        assert [t for t in sent[member.room] if shown[t] != 1] == [], member.name
    # Every socket was on one of the two daphnes, so every member was told.
    assert min(m.notices for m in members) >= 1
    rejoins = sorted(s for m in members for s in m.rejoin_seconds)
    assert len(rejoins) == sum(m.notices for m in members)
    assert rejoins[-1] < REJOIN_BOUND
    with open(os.path.join(ARTIFACTS, "rolling-restart.json"), "w") as f:
        json.dump({"messages_sent": sum(len(t) for t in sent.values()), "notices": len(rejoins),
                   "rejoin_seconds_median": rejoins[len(rejoins) // 2],
                   "rejoin_seconds_max": rejoins[-1]}, f)

    # The restart happened: two new daphnes, each old one drained and exited cleanly.
    wait_for(lambda: len(children_running(run, "daphne")) == 2, 30, "two daphnes")
    after = {p.pid for p in children_running(run, "daphne")}
    assert after.isdisjoint(before)
    log = log_text()
    for pid in before:
        assert re.search(r"rolling restart: pid %d of web\.\d exited with code 0" % pid, log)
        assert "[pid %d] draining: stopped listening" % pid in log
        assert re.search(r"\[pid %d\] drained in [0-9.]+ s" % pid, log)
    assert "drain bound" not in log
    # ... and counted: two drains, a 1012 for every notice given.
    counted = metrics(port)
    assert counted["channels_daphne_drains_total"] == 2
    assert counted['channels_daphne_sockets_closed_total{code="1012"}'] == len(rejoins)
