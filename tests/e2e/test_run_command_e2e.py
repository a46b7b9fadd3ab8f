"""``./run`` itself, as a newcomer starts it: ports checked first, processes kept up.

Each test starts the real ``./run`` (venv check, migrate, the supervisor,
embedded Redis, daphne, two runworkers) on free ports with a database and a
run-settings file of its own, and stops it with SIGTERM as Ctrl-C would.
"""
import json
import os
import signal
import socket
import subprocess
import sys

import psutil
import pytest
import redis
import websocket

from channels_kit.operations import embedded_redis
from channels_kit.operations.embedded_redis import server_binary
from channels_kit.testing.split import free_port, port_open, wait_for
from tests.support.paths import ARTIFACTS, ROOT
from tests.support.runs import (START_TIMEOUT, children_running, health, run_command,
                                started_since, stop_run)




def supervised_log():
    with open(os.path.join(ARTIFACTS, "logs", "run-supervised.log"), errors="replace") as f:
        return f.read()


def listening_on(port):
    sock = socket.socket()
    sock.bind(("127.0.0.1", port))
    sock.listen()
    return sock


@pytest.mark.parametrize("taken", ["PORT", "REDIS_PORT"])
def test_run_exits_with_one_line_when_a_port_is_taken(tmp_path, taken):
    ports = {"PORT": free_port(), "REDIS_PORT": free_port()}
    with listening_on(ports[taken]):
        process = run_command(tmp_path, "run-taken-%s.log" % taken.lower(),
                              **{k: str(v) for k, v in ports.items()})
        try:
            _, stderr = process.communicate(timeout=START_TIMEOUT)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
    lines = stderr.decode().strip().splitlines()
    assert process.returncode == 1
    assert lines == ["./run: port %d on 127.0.0.1 is already in use; stop what holds it, "
                     "or pick another: %s=%d ./run" % (ports[taken], taken, ports[taken] + 1)]
    assert not (tmp_path / "run.env").exists()  # nothing was started


def test_run_restarts_what_dies_serves_commands_beside_it_and_leaves_nothing(tmp_path):
    port = free_port()
    run = run_command(tmp_path, "run-supervised.log", PORT=str(port), REDIS_PORT=str(free_port()))
    seen = {}  # every process ./run had running at some point, by pid

    def note_children():
        seen.update((p.pid, p) for p in psutil.Process(run.pid).children(recursive=True))
        return len(seen)

    try:
        wait_for(lambda: health(port) or run.poll() is not None, START_TIMEOUT, "./run to serve")
        assert run.poll() is None, run.stderr.read().decode()
        assert note_children() >= 4  # redis, daphne, two workers

        # A command in another shell, with no REDIS_URL, reaches the pages.
        live = websocket.create_connection("ws://127.0.0.1:%d/live/" % port, timeout=20,
                                           origin="http://127.0.0.1:%d" % port)
        assert json.loads(live.recv())["payload"]["action"] == "snapshot"
        env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
        env["RUN_ENV_FILE"] = str(tmp_path / "run.env")
        subprocess.run([sys.executable, "manage.py", "setvalue", "temperature", "21"],
                       cwd=ROOT, env=env, check=True, capture_output=True, timeout=60)
        frame = json.loads(live.recv())
        assert frame["payload"]["data"]["value"] == "21"
        live.close()

        # The embedded server is redis-server on 3.11, valkey-server from 3.12 on.
        for name in ("daphne", "runworker", os.path.basename(server_binary())):
            before = {child.pid for child in children_running(run, name)}
            victim = children_running(run, name)[0]
            victim.kill()
            wait_for(lambda: started_since(run, name, before), 30, "%s restarted" % name)
            wait_for(lambda: health(port), 30, "health after %s came back" % name)
            note_children()
            assert "(pid %d) exited with code -9; restarting in" % victim.pid in supervised_log()
        assert run.poll() is None  # the group went on through both deaths
    finally:
        stop_run(run)
    assert run.returncode == 0
    left = [p for p in seen.values() if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert left == []
    assert not (tmp_path / "run.env").exists()


def test_run_uses_a_given_redis_and_the_workers_and_daphnes_asked_for(tmp_path):
    redis_port, port = free_port(), free_port()
    redis_server = subprocess.Popen(embedded_redis.argv(redis_port), stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL, start_new_session=True)
    run = None
    try:
        wait_for(lambda: port_open(redis_port), 30, "the external Redis")
        run = run_command(tmp_path, "run-external.log", PORT=str(port), WORKERS="3", DAPHNES="2",
                          REDIS_URL="redis://127.0.0.1:%d/0" % redis_port)
        wait_for(lambda: health(port) or run.poll() is not None, START_TIMEOUT, "./run to serve")
        assert run.poll() is None, run.stderr.read().decode()
        wait_for(lambda: len(children_running(run, "runworker")) == 3, 30, "three workers")
        assert len(children_running(run, "daphne")) == 2
        assert children_running(run, os.path.basename(server_binary())) == []  # none of its own
        assert children_running(run, "embedded_redis") == []
        echo = websocket.create_connection("ws://127.0.0.1:%d/echo/" % port, timeout=20,
                                           origin="http://127.0.0.1:%d" % port)
        echo.send("through the given Redis")
        assert echo.recv() == "through the given Redis"
        echo.close()
        clients = redis.StrictRedis(port=redis_port).client_list()
        assert len(clients) >= 5 + 1, clients  # three workers, two daphnes, and this client
    finally:
        if run is not None:
            stop_run(run)
        redis_server.terminate()
        redis_server.wait(10)
    assert run.returncode == 0
