"""Rooms through the real split: isolation, bad names, and frames of one socket racing on two workers."""
import pytest

from tests.support.wire import recv_close, recv_json


def test_messages_stay_in_their_room(ws):
    red, blue = ws("/chat/red/"), ws("/chat/blue/")
    red.send('{"text": "only red"}')
    got = recv_json(red)
    assert (got["room"], got["user"], got["text"]) == ("red", "anonymous", "only red")
    assert got["ts"].endswith("Z")
    blue.send('{"text": "only blue"}')
    assert recv_json(blue)["text"] == "only blue"  # red's message never reached blue


@pytest.mark.parametrize("room", [
    "no%20spaces",
    "a" * 65,  # one too long
    "a.b",
    "caf%C3%A9",  # café: a letter, but not an ASCII one
    "%2e%2e",  # ".." once daphne unquotes the path
])
def test_bad_room_name_gets_error_and_4100(ws, room):
    sock = ws("/chat/%s/" % room)
    assert recv_json(sock)["error"] == "invalid-room"
    assert recv_close(sock)[0] == 4100


@pytest.mark.parametrize("room", ["a" * 64, "a-b_C9", "Z"])
def test_edge_room_names_work(ws, room):
    sock = ws("/chat/%s/" % room)
    sock.send('{"text": "edge"}')
    got = recv_json(sock)
    assert (got["room"], got["text"]) == (room, "edge")


def test_300_messages_sent_on_open_arrive_in_order(ws):
    """Send the instant the socket opens, back to back, with two workers racing."""
    listener = ws("/chat/ordered/")
    sender = ws("/chat/ordered/")
    for i in range(300):
        sender.send('{"text": "%d"}' % i)
    received = [recv_json(listener)["text"] for _ in range(300)]
    assert received == [str(i) for i in range(300)]
