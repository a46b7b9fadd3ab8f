"""Lessons 4, 5, 9 and 10 on a real two-worker split: each broken consumer misbehaves, its fix does not.

Lesson 4: ``enforce_ordering`` on receive only parks every frame for good;
on connect too, every frame is answered. Lesson 5: a buffered group send
under ``enforce_ordering`` lets a listener hear lines swapped, as does the
unordered group of lesson 2; with ``immediately=True`` it hears them in
order. Lesson 9: a frame overtakes a connect that accepted immediately,
unless every handler is ordered. Lesson 10: so does a disconnect.
"""
import itertools
import json
import time

import pytest
import websocket

from channels_kit.testing.split import wait_for
from tests.support.lessons import split  # noqa: F401 (the classroom split, for this module)
from tests.support.wire import recv_json


LINES = 300


def parked_frames(split):
    stats = json.loads(split.manage("layerstats", "--json").stdout)
    return stats["wait_lists"]["pending"]


def test_receive_ordered_alone_parks_every_frame_for_good(split, ws):
    sock = ws("/lessons/4-ordering/broken/")
    for n in range(3):
        sock.send("frame %d" % n)
    # All three wait for order 0, which the unordered connect never counted:
    # nothing will put them back, so the socket stays silent.
    wait_for(lambda: parked_frames(split) >= 3, 30, "three parked frames")
    sock.settimeout(1)
    with pytest.raises(websocket.WebSocketTimeoutException):
        sock.recv()


def test_an_ordered_connect_lets_every_frame_run_in_order(ws):
    sock = ws("/lessons/4-ordering/")
    for n in range(3):
        sock.send("frame %d" % n)
    # Frame n+1 was counted n+1-th: they ran in order. Their buffered answers
    # may still arrive swapped; that is lesson 5.
    answers = sorted((recv_json(sock) for _ in range(3)), key=lambda answer: answer["frame"])
    assert answers == [{"frame": n + 1, "text": "frame %d" % n} for n in range(3)]


def lines_heard(ws, path):
    listener, sender = ws(path), ws(path)
    for n in range(LINES):
        sender.send(str(n))
    return [int(listener.recv()) for _ in range(LINES)]


@pytest.mark.parametrize("path", [
    "/lessons/2-groups/",  # no ordering: two frames run at once on two workers
    "/lessons/5-swap/broken/",  # ordered runs, buffered sends flushed after the next run began
])
def test_lines_from_one_socket_can_swap(ws, path):
    """A swap is a race: send rounds of lines until one shows it (each round usually does)."""
    deadline = time.monotonic() + 120
    while True:
        heard = lines_heard(ws, path)
        assert sorted(heard) == list(range(LINES))  # nothing lost, only reordered
        if heard != sorted(heard):
            return
        assert time.monotonic() < deadline, "no swap in any round"


def test_an_immediate_group_send_keeps_every_line_in_order(ws):
    assert lines_heard(ws, "/lessons/5-swap/") == list(range(LINES))


def name_heard_first(ws, path):
    """The name in the answer to a frame sent the moment the socket opens."""
    sock = ws(path + "?name=ada")
    sock.send("at once")
    return recv_json(sock)["name"]


def test_an_unordered_frame_overtakes_a_connect_that_accepted_immediately(ws):
    """A race again: open sockets until a frame runs before connect stored the name."""
    deadline = time.monotonic() + 120
    while name_heard_first(ws, "/lessons/9-immediate/broken/") == "ada":
        assert time.monotonic() < deadline, "no frame ever overtook connect"


def test_ordering_parks_that_frame_until_connect_is_done(ws):
    assert [name_heard_first(ws, "/lessons/9-immediate/") for _ in range(5)] == ["ada"] * 5


def joined_and_left(ws, path, listener, name):
    """What ``listener`` hears when a socket named ``name`` opens and closes at once."""
    ws(path + "?name=" + name).close()
    return [recv_json(listener) for _ in range(2)]


def test_an_unordered_disconnect_can_overtake_its_connect(ws):
    """A race again: open and close sockets until one's ``left`` comes before its ``joined``."""
    path = "/lessons/10-leaving/broken/"
    listener = ws(path + "?name=listener")
    assert recv_json(listener) == {"joined": "listener"}
    deadline = time.monotonic() + 120
    for n in itertools.count():
        heard = joined_and_left(ws, path, listener, "x%d" % n)
        if heard[0] == {"left": None}:
            assert heard[1] == {"joined": "x%d" % n}
            return
        assert heard == [{"joined": "x%d" % n}, {"left": "x%d" % n}]
        assert time.monotonic() < deadline, "no disconnect ever overtook its connect"


def test_an_ordered_disconnect_waits_for_its_connect(ws):
    path = "/lessons/10-leaving/"
    listener = ws(path + "?name=listener")
    assert recv_json(listener) == {"joined": "listener"}
    for n in range(3):
        name = "y%d" % n
        assert joined_and_left(ws, path, listener, name) == [{"joined": name}, {"left": name}]
