"""Backpressure through the real daphne: a full websocket.receive closes the socket with 1013.

Daphne's sends go out without blocking its reactor while the channel has
room (channels_kit/layer.py); near full they wait for Redis again, so
daphne's layer wrapper still sees ChannelFull and tells the socket
(``service-unavailable``, with how many of its frames were not delivered)
and closes it with 1013 "try again later" instead of dropping frames. Its
own split: a tiny capacity and a worker that is stopped (SIGSTOP) so
nothing drains the channel.
"""
import json
import signal
import subprocess
import sys

import pytest
import websocket

from tests.support.paths import ROOT
from tests.support.splits import running_split
from tests.support.wire import recv_close


@pytest.fixture
def stalled_split(tmp_path):
    with running_split("backpressure", tmp_path, env={"CHANNEL_CAPACITY": "6"}, workers=1) as split:
        try:
            yield split
        finally:
            split.workers[0].signal(signal.SIGCONT)


def test_full_receive_channel_closes_the_socket_with_1013_and_is_counted(stalled_split):
    sock = websocket.create_connection(stalled_split.ws_url + "/echo/", timeout=10,
                                       origin=stalled_split.url)
    try:
        sock.send("before")
        assert sock.recv() == "before"
        stalled_split.workers[0].signal(signal.SIGSTOP)
        for i in range(50):
            try:
                sock.send("frame %d" % i)
            except websocket.WebSocketConnectionClosedException:
                break
        sock.settimeout(10)
        error = json.loads(sock.recv())
        assert (error["error"], error["close"]) == ("service-unavailable", 1013)
        assert "queue is full" in error["detail"]
        assert recv_close(sock)[0] == 1013
    finally:
        sock.close()
    stats = subprocess.run([sys.executable, "manage.py", "layerstats"], cwd=ROOT,
                           env=stalled_split.env, check=True, capture_output=True, text=True).stdout
    # The drop count line ("websocket.receive  N") comes first, the queue table after.
    refused = [line.split() for line in stats.splitlines() if line.strip().startswith("websocket.receive ")]
    assert refused and int(refused[0][1]) >= 1, stats
    assert "Channel websocket.receive is full (capacity 6)" in stalled_split.web.log()
