"""``LESSONS_SLOW_MS``: the lessons' races at human speed, on a real two-worker split.

At the normal pace a frame overtakes lesson 9's immediate accept only now
and then (tests/e2e/test_lessons_ordering_e2e.py opens sockets until it
does). With the lessons pausing where the race happens, it happens every
time, slowly enough to watch: the broken lesson answers every frame sent
on open without the name, and the ordered one parks the frame until
connect has stored it. The pause shows as the connect's run time.
"""
import pytest

from tests.support.splits import running_split
from tests.support.wire import recv_json

SLOW_MS = 1500


@pytest.fixture(scope="module")
def split(tmp_path_factory):
    data = tmp_path_factory.mktemp("lessons-slow")
    with running_split("lessons-slow", data, env={"LESSONS": "1", "LESSONS_SLOW_MS": str(SLOW_MS)}) as running:
        yield running


def name_heard_first(ws, path):
    sock = ws(path + "?name=ada")
    sock.send("now")
    return recv_json(sock)["name"]


def test_at_human_speed_the_frame_overtakes_the_immediate_accept_every_time(ws):
    assert [name_heard_first(ws, "/lessons/9-immediate/broken/") for _ in range(3)] == [None] * 3


def test_at_human_speed_ordering_still_parks_the_frame_until_connect_is_done(ws):
    assert [name_heard_first(ws, "/lessons/9-immediate/") for _ in range(3)] == ["ada"] * 3
