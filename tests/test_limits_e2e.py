"""Per-socket limits through a real split with the default limits.

The flood test is the issue's stated requirement: while one client floods a
room, everyone else stays connected and is served within 2 s. The split is
this module's own, so a flood cannot slow down other tests' sockets.
"""
import json
import time

import pytest
import websocket
from asgi_redis import RedisChannelLayer

from tests.splits import running_split
from tests.wire import recv_close, recv_json

pytestmark = pytest.mark.e2e

MAX_PER_CLIENT = 10


@pytest.fixture(scope="module")
def limits_split(tmp_path_factory):
    with running_split("limits", tmp_path_factory.mktemp("limits"),
                       env={"WS_MAX_PER_CLIENT": str(MAX_PER_CLIENT)}) as running:
        yield running


@pytest.fixture
def connect():
    """Open sockets to a split; each test's sockets are closed after it."""
    opened = []

    def open_socket(split, path):
        sock = websocket.create_connection(split.ws_url + path, origin=split.url, timeout=10)
        opened.append(sock)
        return sock

    yield open_socket
    for sock in opened:
        sock.close()
    time.sleep(0.5)  # let daphne report the closes before the next test counts sockets


def served_after(sock, text):
    """Send a chat frame and time until it comes back from the room."""
    started = time.monotonic()
    sock.send(json.dumps({"text": text}))
    while recv_json(sock)["text"] != text:
        pass
    return time.monotonic() - started


def frames_until_close(sock):
    """Every JSON error the socket got before its close, and the close code.

    Reads raw frames: answering the close (as recv() does) would hit a reset,
    since daphne drops the connection with the flooder's frames still unread.
    """
    errors = []
    while True:
        frame = sock.recv_frame()
        if frame.opcode == websocket.ABNF.OPCODE_CLOSE:
            return errors, int.from_bytes(frame.data[:2], "big")
        if frame.opcode == websocket.ABNF.OPCODE_TEXT:
            payload = json.loads(frame.data)
            if "error" in payload:
                errors.append(payload["error"])


def test_flooder_is_closed_with_4500_and_others_are_served_within_2s(limits_split, connect):
    present = connect(limits_split, "/chat/calm/")
    flooder = connect(limits_split, "/chat/flood/")
    sent = 0
    try:
        for i in range(3000):
            flooder.send(json.dumps({"text": "flood %d" % i}))
            sent += 1
    except (websocket.WebSocketException, OSError):
        pass  # daphne may already have closed it
    started = time.monotonic()
    newcomer = connect(limits_split, "/chat/calm-too/")
    newcomer_served = time.monotonic() - started + served_after(newcomer, "hello")
    present_served = served_after(present, "still here")
    print("\nflood of %d frames: newcomer connected and served in %.2fs, present client in %.2fs"
          % (sent, newcomer_served, present_served))
    assert newcomer_served < 2.0
    assert present_served < 2.0
    errors, code = frames_until_close(flooder)
    assert "rate-limited" in errors
    assert code == 4500
    assert "WARNING channels_kit.flow_control" in limits_split.web.log()
    # Its disconnect still runs after its last queued frame (daphne numbered
    # the dropped frames too), so it leaves the room's group.
    layer = RedisChannelLayer(hosts=[limits_split.redis_url])
    deadline = time.monotonic() + 30
    while layer.group_channels("room-flood") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert layer.group_channels("room-flood") == []


def test_oversized_frame_is_refused_with_4501(limits_split, connect):
    sock = connect(limits_split, "/echo/")
    sock.send("x" * (64 * 1024 + 1))
    assert recv_json(sock)["error"] == "frame-too-large"
    assert recv_close(sock)[0] == 4501


def test_frame_at_the_limit_is_accepted(limits_split, connect):
    sock = connect(limits_split, "/echo/")
    sock.send("x" * (64 * 1024))
    assert len(sock.recv()) == 64 * 1024


def test_connections_per_client_are_bounded_with_4502(limits_split, connect):
    socks = [connect(limits_split, "/echo/") for _ in range(MAX_PER_CLIENT)]
    for sock in socks:
        sock.send("in")
        assert sock.recv() == "in"
    extra = connect(limits_split, "/echo/")
    assert recv_json(extra)["error"] == "too-many-connections"
    assert recv_close(extra)[0] == 4502
    socks[0].close()
    time.sleep(1)  # daphne reports the close before the slot is free
    again = connect(limits_split, "/echo/")
    again.send("room again")
    assert again.recv() == "room again"
