"""Echo and chat through the real split: redis-server + daphne + 2 runworkers."""
import json
import re

import redis

from tests.support.wire import recv_close, recv_json


def test_echo_round_trips_text_and_bytes(ws):
    sock = ws("/echo/")
    sock.send("hello world")
    assert sock.recv() == "hello world"
    sock.send_binary(b"\x00\x01\xfe\xff")
    assert sock.recv() == b"\x00\x01\xfe\xff"


def test_a_room_answers_in_order_after_redis_forgets_its_scripts(split, ws):
    """Daphne and the workers send by script hash; a flushed script cache is loaded again, in order."""
    sock = ws("/chat/scripts/")
    sock.send(json.dumps({"text": "before"}))
    assert recv_json(sock)["text"] == "before"
    redis.Redis.from_url(split.redis_urls[0]).script_flush()
    for n in range(5):
        sock.send(json.dumps({"text": "after %d" % n}))
    assert [recv_json(sock)["text"] for _ in range(5)] == ["after %d" % n for n in range(5)]


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
