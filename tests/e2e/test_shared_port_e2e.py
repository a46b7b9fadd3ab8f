"""Two daphnes on one port (SO_REUSEPORT, as ``DAPHNES=2 ./run`` starts them): both serve, rooms span them.

This test starts its own split: the shared one has a single daphne.
"""
import json
import os
import uuid

import psutil
import pytest
import websocket

from channels_kit.testing.split import Split, wait_for
from tests.support.paths import ARTIFACTS
from tests.support.wire import recv_json


SOCKETS = 16


@pytest.fixture(scope="module")
def two_daphnes(tmp_path_factory):
    env = {"DATABASE_PATH": str(tmp_path_factory.mktemp("daphnes") / "db.sqlite3")}
    running = Split(workers=2, webs=2, shared_port=True, env=env,
                    log_dir=os.path.join(ARTIFACTS, "logs", "shared-port"))
    try:
        yield running.start()
    finally:
        running.stop()


def served_by(process, port):
    """How many established client sockets this daphne holds on ``port``."""
    return sum(1 for c in psutil.Process(process.pid).net_connections("tcp")
               if c.status == psutil.CONN_ESTABLISHED and c.laddr.port == port)


def test_both_daphnes_listen_on_the_one_port(two_daphnes):
    assert [p for p in two_daphnes.ports] == [two_daphnes.port] * 2
    for process in two_daphnes.webs:
        assert "Listening on endpoint fd:fileno=" in process.log()


def test_a_room_spans_both_daphnes(two_daphnes):
    room = "span-" + uuid.uuid4().hex[:8]
    url = "%s/chat/%s/" % (two_daphnes.ws_url, room)
    sockets = [websocket.create_connection(url, timeout=10, origin=two_daphnes.url)
               for _ in range(SOCKETS)]
    try:
        # The kernel spreads the connections by their addresses; with 16 of
        # them, one daphne getting all of them has a chance of 2 in 65536.
        wait_for(lambda: sum(served_by(p, two_daphnes.port) for p in two_daphnes.webs) == SOCKETS,
                 10, "every socket to be accepted")
        counts = [served_by(p, two_daphnes.port) for p in two_daphnes.webs]
        assert all(count > 0 for count in counts), counts
        sockets[0].send(json.dumps({"text": "to every daphne"}))
        for sock in sockets:
            got = recv_json(sock)
            assert (got["room"], got["text"]) == (room, "to every daphne")
    finally:
        for sock in sockets:
            sock.close()
