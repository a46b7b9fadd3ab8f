"""The lessons ladder on a real two-worker split, ``LESSONS=1``.

Lessons 1-3 answer as their docstrings say. For lessons 6-8 each broken
consumer shows its mistake to the client and its fix does not: waiters in a
sleep loop starve both workers, anonymous users share one "per-user" group,
a refusal during the handshake reaches the client as a bare HTTP 403.
"""
import json

import pytest
import websocket

from tests.support.browser import signed_up
from tests.support.lessons import split  # noqa: F401 (the classroom split, for this module)
from tests.support.wire import recv_close, recv_json


WAIT = json.dumps({"wait": True})
ARRIVE = json.dumps({"arrive": True})


def test_lesson_1_echoes_each_frame(ws):
    sock = ws("/lessons/1-echo/")
    sock.send("hello")
    assert sock.recv() == "hello"


def test_lesson_2_sends_a_frame_to_every_member_of_the_group(ws):
    first, second = ws("/lessons/2-groups/"), ws("/lessons/2-groups/")
    second.send("to everyone")
    assert first.recv() == "to everyone"
    assert second.recv() == "to everyone"


def test_lesson_3_keeps_the_name_from_connect_for_every_frame(ws):
    sock = ws("/lessons/3-sessions/?name=ada")
    sock.send("one")
    sock.send("two")
    # Ordered runs, buffered replies: the two answers may arrive swapped (lesson 5).
    answers = sorted((recv_json(sock) for _ in range(2)), key=lambda answer: answer["frame"])
    assert answers == [{"name": "ada", "text": "one", "frame": 1},
                       {"name": "ada", "text": "two", "frame": 2}]


def two_waiters(ws, path):
    """Two sockets waiting on ``path``, each acknowledged (the broken waiter is in its loop)."""
    waiters = []
    for _ in range(2):
        waiter = ws(path)
        waiter.send(WAIT)
        assert recv_json(waiter) == {"waiting": True}
        waiters.append(waiter)
    return waiters


def test_lesson_6_broken_two_sleeping_waiters_starve_both_workers(ws):
    # Each acknowledgement comes from inside a waiter's loop, so both workers
    # are held before the arrival is sent; nothing is left to run it.
    waiters = two_waiters(ws, "/lessons/6-waiting/broken/")
    arrival = ws("/lessons/6-waiting/broken/")
    arrival.send(ARRIVE)
    assert [recv_json(w) for w in waiters] == [{"gave_up": True}] * 2
    assert recv_json(arrival) == {"announced": True}  # only once a waiter let go


def test_lesson_6_waiters_in_a_group_hold_no_worker_and_hear_the_arrival(ws):
    waiters = two_waiters(ws, "/lessons/6-waiting/")
    arrival = ws("/lessons/6-waiting/")
    arrival.send(ARRIVE)
    assert recv_json(arrival) == {"announced": True}
    assert [recv_json(w) for w in waiters] == [{"arrived": True}] * 2


def test_lesson_7_broken_anonymous_strangers_share_one_group(ws):
    stranger, other = ws("/lessons/7-per-user/broken/"), ws("/lessons/7-per-user/broken/")
    stranger.send("my private note")
    assert recv_json(other) == {"user": "", "text": "my private note"}


def test_lesson_7_refuses_an_anonymous_socket_with_a_reason(ws):
    sock = ws("/lessons/7-per-user/")
    assert recv_json(sock)["error"] == "login-required"
    assert recv_close(sock)[0] == 4201


def test_lesson_7_reaches_every_socket_of_one_user_and_nobody_else(split, ws):
    nora, other = signed_up(split, "nora_lesson"), signed_up(split, "otto_lesson")
    tab, phone = (ws("/lessons/7-per-user/", cookie=nora.cookie_header) for _ in range(2))
    stranger = ws("/lessons/7-per-user/", cookie=other.cookie_header)
    tab.send("ping")
    for sock in (tab, phone):
        assert recv_json(sock) == {"user": "nora_lesson", "text": "ping"}
    # the stranger would have had nora's ping before this marker if it leaked
    stranger.send("marker")
    assert recv_json(stranger) == {"user": "otto_lesson", "text": "marker"}


def test_lesson_8_broken_refusal_in_the_handshake_tells_the_client_nothing(ws):
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        ws("/lessons/8-refusing/broken/?room=no%20spaces")
    assert refused.value.status_code == 403  # a browser reports close 1006, no reason
    assert recv_json(ws("/lessons/8-refusing/broken/?room=ok"))["room"] == "ok"


def test_lesson_8_refusal_after_accept_says_why_and_closes_4100(ws):
    sock = ws("/lessons/8-refusing/?room=no%20spaces")
    assert recv_json(sock)["error"] == "invalid-room"
    assert recv_close(sock)[0] == 4100
    assert recv_json(ws("/lessons/8-refusing/?room=ok"))["room"] == "ok"
