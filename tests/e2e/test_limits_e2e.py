"""Per-socket limits through a real split with the default limits.

While one client floods a room it is slowed to its rate, not closed, and
everyone else is served while its flood is still held back; legitimate fast clients (sequential
round trips, a steady 100 frames a second) complete untouched. The split is
this module's own, so a flood cannot slow down other tests' sockets.
"""
import json
import threading
import time

import psutil
import pytest
import websocket

from channels_kit.daphne.limits import Limits
from tests.support.splits import running_split
from tests.support.wire import recv_close, recv_json


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


def connect_to_a_free_slot(split, connect):
    """An echo socket, once daphne has a slot for it: a closed socket's slot is freed only
    when daphne has seen the close, and until then a connect is refused with 4502."""
    deadline = time.monotonic() + 30
    while True:
        sock = connect(split, "/echo/")
        try:
            sock.send("free?")
            if sock.recv() == "free?":
                return sock
        except (websocket.WebSocketException, OSError):
            pass  # refused, and closed already
        assert time.monotonic() < deadline, "no connection slot came free in 30 s"
        time.sleep(0.1)


def served_after(sock, text):
    """Send a chat frame and time until it comes back from the room."""
    started = time.monotonic()
    sock.send(json.dumps({"text": text}))
    while recv_json(sock)["text"] != text:
        pass
    return time.monotonic() - started


def flood(sock, frames, sent):
    """Send ``frames`` chat frames as fast as the socket takes them (TCP slows it once paused)."""
    try:
        for i in range(frames):
            sock.send(json.dumps({"text": "flood %d" % i}))
            sent.append(i)
    except (websocket.WebSocketException, OSError):
        pass  # the test is over and closed the socket


def heard(sock, frames, into):
    """Append (time.monotonic(), text) for each of the next ``frames`` frames the socket gets."""
    for _ in range(frames):
        into.append((time.monotonic(), recv_json(sock)["text"]))


def rss_mb(process):
    return psutil.Process(process.pid).memory_info().rss / 2 ** 20


FLOOD = 3000


def test_flooder_is_slowed_not_closed_and_others_are_served_meanwhile(limits_split, connect):
    """Fairness is shown by order, not by a stopwatch: the others are answered while the
    flood is still held back, which the rate limit makes last many seconds however busy
    the machine is."""
    limits = Limits.from_settings()
    present = connect(limits_split, "/chat/calm/")
    listener = connect(limits_split, "/chat/flood/")
    listener.settimeout(30)
    arrivals = []
    listening = threading.Thread(target=heard, args=(listener, FLOOD + 1, arrivals), daemon=True)
    listening.start()
    connected = time.monotonic()
    flooder = connect(limits_split, "/chat/flood/")
    rss_before = rss_mb(limits_split.web)
    sent = []
    pushing = threading.Thread(target=flood, args=(flooder, FLOOD, sent), daemon=True)
    pushing.start()
    while len(sent) < 1000:  # its burst and a TCP window's worth, at least, are in daphne
        time.sleep(0.01)
    started = time.monotonic()
    newcomer = connect(limits_split, "/chat/calm-too/")
    newcomer_served = time.monotonic() - started + served_after(newcomer, "hello")
    present_served = served_after(present, "still here")
    others_served = time.monotonic()
    rss_after = rss_mb(limits_split.web)
    pushing.join(timeout=60)
    assert sent == list(range(FLOOD)), "the flooder could not send its frames"
    flooder.send(json.dumps({"text": "after the flood"}))  # still open: it is heard
    listening.join(timeout=60)
    texts = [text for _, text in arrivals]
    last_flood_at = arrivals[FLOOD - 1][0] if len(arrivals) >= FLOOD else float("inf")
    print("\nflood of %d frames: newcomer served in %.2fs, present client in %.2fs, the flood "
          "reached its room in %.1fs; daphne RSS %.1f -> %.1f MiB"
          % (FLOOD, newcomer_served, present_served, last_flood_at - connected,
             rss_before, rss_after))
    # Every frame of the flood reaches its room, in order, and the flooder was never closed.
    assert texts == ["flood %d" % i for i in range(FLOOD)] + ["after the flood"]
    # Slowed: beyond its burst the flood went at the socket's rate, not as fast as it was sent
    # (less one token: the bucket's timers may fire a hair early).
    assert last_flood_at - connected >= (FLOOD - limits.burst - 1) / limits.rate
    # The others did not wait behind it.
    assert others_served < last_flood_at
    assert rss_after - rss_before < 20, "daphne grew with the flood"


def test_200_sequential_echo_round_trips_complete(limits_split, connect):
    sock = connect(limits_split, "/echo/")
    for i in range(200):
        sock.send("trip %d" % i)
        assert sock.recv() == "trip %d" % i


def test_100_frames_a_second_for_10s_all_arrive_in_order(limits_split, connect):
    listener = connect(limits_split, "/chat/telemetry/")
    sender = connect(limits_split, "/chat/telemetry/")
    started = time.monotonic()
    for i in range(1000):
        sender.send(json.dumps({"text": str(i)}))
        time.sleep(max(0.0, started + (i + 1) / 100 - time.monotonic()))
    got = [recv_json(listener)["text"] for _ in range(1000)]
    print("\n1000 frames at 100/s: last one in %.1fs" % (time.monotonic() - started))
    assert got == [str(i) for i in range(1000)]


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
    socks = [connect_to_a_free_slot(limits_split, connect) for _ in range(MAX_PER_CLIENT)]
    extra = connect(limits_split, "/echo/")
    assert recv_json(extra)["error"] == "too-many-connections"
    assert recv_close(extra)[0] == 4502
    socks[0].close()
    again = connect_to_a_free_slot(limits_split, connect)
    again.send("room again")
    assert again.recv() == "room again"
