"""``manage.py runserver`` without Redis: Channels' one-process mode on the in-memory layer."""
import os
import signal
import subprocess
import sys

import pytest
import websocket

from channels_kit.testing.split import free_port, port_open, wait_for
from tests.support.paths import ROOT
from tests.support.wire import recv_json


@pytest.fixture(scope="module")
def runserver(tmp_path_factory):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env["DATABASE_PATH"] = str(tmp_path_factory.mktemp("runserver") / "db.sqlite3")
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput"], cwd=ROOT, env=env,
                   check=True, capture_output=True)
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", "127.0.0.1:%d" % port],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_for(lambda: port_open(port), 30, "runserver")
        yield "127.0.0.1:%d" % port
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(10)


def connect(host, path):
    return websocket.create_connection("ws://%s%s" % (host, path), timeout=10,
                                       origin="http://%s" % host)


def test_echo_and_a_room_work_without_redis(runserver):
    echo = connect(runserver, "/echo/")
    echo.send("no redis needed")
    assert echo.recv() == "no redis needed"

    alice, bob = connect(runserver, "/chat/lobby/"), connect(runserver, "/chat/lobby/")
    alice.send('{"text": "hello from runserver"}')
    got = recv_json(bob)
    assert (got["room"], got["user"], got["text"]) == ("lobby", "anonymous", "hello from runserver")
    for sock in (echo, alice, bob):
        sock.close()
