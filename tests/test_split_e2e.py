"""Echo and chat through the real split: redis-server + daphne + 2 runworkers."""
import re

import pytest

from tests.wire import recv_close, recv_json

pytestmark = pytest.mark.e2e


def test_echo_round_trips_text_and_bytes(ws):
    sock = ws("/echo/")
    sock.send("hello world")
    assert sock.recv() == "hello world"
    sock.send_binary(b"\x00\x01\xfe\xff")
    assert sock.recv() == b"\x00\x01\xfe\xff"


def test_two_chat_clients_each_see_the_other(ws):
    alice, bob = ws("/chat/"), ws("/chat/")
    alice.send("hi bob")
    assert bob.recv() == "[anonymous] hi bob"
    assert alice.recv() == "[anonymous] hi bob"
    bob.send("hi alice")
    assert alice.recv() == "[anonymous] hi alice"
    assert bob.recv() == "[anonymous] hi alice"


def test_binary_on_chat_is_answered_with_error_and_4003(ws):
    sock = ws("/chat/")
    sock.send_binary(b"\x00")
    assert recv_json(sock) == {"error": "text-required", "close": 4003,
                               "detail": "this endpoint accepts text frames only"}
    assert recv_close(sock)[0] == 4003


def test_both_workers_take_part(split, ws):
    """Each runworker (-v 2 logs every message it handles) serves some of 40 echoes."""
    for _ in range(4):
        sock = ws("/echo/")
        for i in range(10):
            sock.send("n%d" % i)
            assert sock.recv() == "n%d" % i
    handled = [len(re.findall(r"websocket\.receive", w.log())) for w in split.workers]
    assert len(handled) == 2
    assert all(count > 0 for count in handled), handled
