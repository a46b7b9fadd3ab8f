"""What a hostile client can send, through the real split: every case gets a clear answer.

Each test is one row of docs/bad-input.md. The last test checks that none of
them left a traceback in the worker logs.
"""
import json
import os
import socket
import time

import pytest
import websocket

from channels_kit.testing.split import wait_for
from tests.support.hostile import close_code, handshake, raw_frame, send_raw
from tests.support.wire import recv_close, recv_json


ROOM = "/chat/hostile/"


@pytest.fixture(scope="module", autouse=True)
def log_marks(split):
    """Where each worker and daphne log ended before this module's tests ran.

    Once they are done, however many of them ran, no log may have gained a
    traceback: checked when the logs have been still for a second, so the
    last tests' messages have finished (an error in this teardown fails the run).
    """
    marks = {p.log_path: os.path.getsize(p.log_path) for p in split.workers + [split.web]}
    yield marks
    wait_for(logs_still(marks), 30, "the logs to be still for a second")
    for path, start in marks.items():
        with open(path, errors="replace") as f:
            f.seek(start)
            assert "Traceback" not in f.read(), path


def logs_still(marks, seconds=1.0):
    """A predicate: true once no log in ``marks`` has grown for ``seconds``."""
    last = {"sizes": None, "since": time.monotonic()}

    def still():
        sizes = [os.path.getsize(path) for path in marks]
        if sizes != last["sizes"]:
            last.update(sizes=sizes, since=time.monotonic())
        return time.monotonic() - last["since"] >= seconds

    return still


def still_served(sock, text="ok"):
    """The socket is open and the room still answers it."""
    sock.send(json.dumps({"text": text}))
    assert recv_json(sock)["text"] == text


def error_of(sock):
    return recv_json(sock)["error"]


# --- frames: JSON shape (recoverable: the socket stays open) ------------------

@pytest.mark.parametrize("frame, error", [
    ("{not json", "invalid-json"),
    ("[1, 2]", "invalid-json"),
    ("42", "invalid-json"),
    ('"just a string"', "invalid-json"),
    ("null", "invalid-json"),
    ("[" * 20000, "invalid-json"),  # nesting deeper than Python's recursion limit
    ("{}", "invalid-message"),
    ('{"text": 5}', "invalid-message"),
    ('{"text": {"nested": true}}', "invalid-message"),
    ('{"text": ""}', "invalid-message"),
    ('{"text": "   "}', "invalid-message"),
    ('{"text": NaN}', "invalid-json"),  # not JSON, though Python's json reads it
    ('{"text": "\\ud800"}', "invalid-message"),  # lone surrogate: not sendable as UTF-8
], ids=["invalid-json", "array", "number", "string", "null", "deep-nesting", "missing-text",
        "text-number", "text-object", "empty-text", "blank-text", "text-nan", "lone-surrogate"])
def test_bad_json_frame_gets_error_and_socket_stays_open(ws, log_marks, frame, error):
    sock = ws(ROOM)
    sock.send(frame)
    assert error_of(sock) == error
    still_served(sock)


def test_unicode_and_control_characters_are_relayed_verbatim(ws, log_marks):
    sock = ws(ROOM)
    text = "h\u00e9llo \u202e\u05e9\u05dc\u05d5\u05dd \U0001f600 \x00\x1b[31m"
    sock.send(json.dumps({"text": text}))
    assert recv_json(sock)["text"] == text


def test_extra_and_duplicate_keys_use_the_last_text(ws, log_marks):
    sock = ws(ROOM)
    sock.send('{"text": "first", "text": "last", "admin": true}')
    reply = recv_json(sock)
    assert reply["text"] == "last"
    assert "admin" not in reply


# --- frames: type, size, encoding ---------------------------------------------

@pytest.mark.parametrize("path", [ROOM, "/chat/"], ids=["room", "global-chat"])
def test_binary_frame_on_text_endpoint_gets_4003(ws, log_marks, path):
    sock = ws(path)
    sock.send_binary(b"\x00\x01binary")
    assert error_of(sock) == "text-required"
    assert recv_close(sock)[0] == 4003


@pytest.mark.parametrize("send", ["text", "binary"])
def test_oversized_frame_gets_4501(ws, log_marks, send):
    sock = ws("/echo/")
    payload = "x" * (64 * 1024 + 1)
    sock.send(payload) if send == "text" else sock.send_binary(payload.encode())
    assert error_of(sock) == "frame-too-large"
    assert recv_close(sock)[0] == 4501


def test_4mib_frame_gets_4501(ws, log_marks):
    sock = ws(ROOM)
    sock.send("x" * (4 * 1024 * 1024))
    assert error_of(sock) == "frame-too-large"
    assert recv_close(sock)[0] == 4501


def test_invalid_utf8_in_text_frame_drops_the_connection(ws, log_marks):
    """autobahn fails the connection by dropping TCP (failByDrop): the client sees 1006.

    The frame is a chat message but for its bytes, so had any of it reached
    a worker, the room would have heard it.
    """
    listener, sock = ws(ROOM), ws(ROOM)
    send_raw(sock, raw_frame(websocket.ABNF.OPCODE_TEXT, b'{"text": "bad \xff\xfe bytes"}'))
    assert close_code(sock) is None
    still_served(listener, "after the drop")  # the room heard nothing before this
    listener.settimeout(0.5)
    with pytest.raises(websocket.WebSocketTimeoutException):
        recv_json(listener)  # nor after it


def test_fragmented_frame_is_reassembled(ws, log_marks):
    sock = ws("/echo/")
    send_raw(sock, raw_frame(websocket.ABNF.OPCODE_TEXT, b"hel", fin=False))
    send_raw(sock, raw_frame(websocket.ABNF.OPCODE_CONT, b"lo"))
    assert sock.recv() == "hello"


@pytest.mark.parametrize("frame", [
    raw_frame(websocket.ABNF.OPCODE_TEXT, b"unmasked", mask=False),
    raw_frame(0x3, b"reserved opcode"),
    raw_frame(websocket.ABNF.OPCODE_PING, b"p" * 126),
    raw_frame(websocket.ABNF.OPCODE_CONT, b"continuation without a start"),
], ids=["unmasked", "reserved-opcode", "oversized-ping", "stray-continuation"])
def test_protocol_violation_drops_the_connection(ws, log_marks, frame):
    sock = ws("/echo/")
    send_raw(sock, frame)
    assert close_code(sock) is None


def test_ping_flood_is_answered_and_does_not_count_as_frames(ws, log_marks):
    sock = ws(ROOM)
    for n in range(2000):
        sock.ping(b"%d" % n)
    pongs = [sock.recv_data_frame(control_frame=True) for _ in range(2000)]
    assert [(opcode, frame.data) for opcode, frame in pongs] == \
        [(websocket.ABNF.OPCODE_PONG, b"%d" % n) for n in range(2000)]
    still_served(sock)  # more than the burst of pings, yet its next frame is not held back


def test_frames_after_the_close_are_ignored(ws, log_marks):
    listener, sock = ws(ROOM), ws(ROOM)
    sock.send_binary(b"bin")  # fatal: 4003
    assert error_of(sock) == "text-required"
    send_raw(sock, raw_frame(websocket.ABNF.OPCODE_TEXT, b'{"text": "too late"}'))
    assert recv_close(sock)[0] == 4003
    still_served(listener, "after the close")  # the room heard nothing before this
    listener.settimeout(0.5)
    with pytest.raises(websocket.WebSocketTimeoutException):
        recv_json(listener)  # nor after it


# --- paths and room names -------------------------------------------------------

@pytest.mark.parametrize("path", [
    "/chat/../", "/chat/%2e%2e/", "/chat/" + "a" * 65 + "/", "/chat/" + "a" * 5000 + "/",
    "/chat/caf%C3%A9/", "/chat/%F0%9F%98%80/", "/chat/no%20spaces/", "/chat/nul%00/",
    "/chat/%ff/", "/chat/%3Cscript%3E/",
], ids=["dotdot", "encoded-dotdot", "65-chars", "5000-chars", "unicode", "emoji", "space",
        "nul", "bad-percent-encoding", "html"])
def test_bad_room_name_gets_4100(ws, log_marks, path):
    sock = ws(path)
    assert error_of(sock) == "invalid-room"
    assert recv_close(sock)[0] == 4100


@pytest.mark.parametrize("path", [
    "/nope/", "/chat/a/b/", "/chat/a%2Fb/", "/chat//", "/echo", "/", "/chat/room/extra/",
    "/static/../echo/",
], ids=["unknown", "slash-in-room", "encoded-slash", "empty-room", "no-trailing-slash", "root",
        "extra-segment", "dotdot-prefix"])
def test_unknown_path_gets_not_found_4004(ws, log_marks, path):
    sock = ws(path)
    recv = recv_json(sock)
    assert recv["error"] == "not-found"
    assert recv_close(sock)[0] == 4004


# --- handshake: origin, query string, cookies, headers -------------------------

@pytest.mark.parametrize("origin", [None, "http://evil.example", "null",
                                    "http://127.0.0.1.evil.example"],
                         ids=["missing", "foreign", "null", "lookalike"])
def test_missing_or_foreign_origin_gets_http_403(split, log_marks, origin):
    options = {"suppress_origin": True} if origin is None else {"origin": origin}
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        websocket.create_connection(split.ws_url + ROOM, timeout=10, **options)
    assert refused.value.status_code == 403


@pytest.mark.parametrize("query", [
    "?token=%%%garbage&&=&", "?token=" + "x" * 4000, "?room=a&room=b&room=..",
    "?%00=%ff", "?" + "&".join("k%d=v" % i for i in range(500)),
], ids=["garbage-token", "long-token", "repeated-keys", "nul-and-bad-encoding", "500-keys"])
def test_query_string_is_harmless_on_routes_without_tokens(ws, log_marks, query):
    sock = ws("/echo/" + query)
    sock.send("still here")
    assert sock.recv() == "still here"


def test_over_long_request_line_is_refused_and_others_still_served(split, ws, log_marks):
    head = handshake(split.port, path=ROOM + "?q=" + "x" * 70000, origin=split.url)
    assert head == ""  # Twisted's line limit: the connection is closed unanswered
    still_served(ws(ROOM))


def test_no_session_cookie_is_anonymous(ws, log_marks):
    sock = ws("/chat/")
    sock.send("hi")
    assert sock.recv() == "[anonymous] hi"


def test_forged_session_cookie_is_anonymous(ws, log_marks):
    sock = ws("/chat/", cookie="sessionid=forged-" + "a" * 40)
    sock.send("hi")
    assert sock.recv() == "[anonymous] hi"


def test_huge_header_is_dropped_and_others_still_served(split, ws, log_marks):
    head = handshake(split.port, origin=split.url, headers=["X-Junk: " + "x" * 100000])
    assert head == ""  # Twisted's line limit: the connection is closed unanswered
    still_served(ws(ROOM))


def test_too_many_headers_get_http_400(split, log_marks):
    headers = ["X-Junk-%d: x" % i for i in range(1000)]
    head = handshake(split.port, origin=split.url, headers=headers)
    assert head.startswith("HTTP/1.1 400")


def test_conflicting_websocket_versions_get_http_400(split, log_marks):
    head = handshake(split.port, origin=split.url, headers=["Sec-WebSocket-Version: 7"])
    assert head.startswith("HTTP/1.1 400")


def test_raw_non_ascii_path_gets_http_400(split, log_marks):
    head = handshake(split.port, path="/chat/caf\xe9/", origin=split.url)
    assert head.startswith("HTTP/1.1 400")


def test_unknown_subprotocol_is_not_selected(split, log_marks):
    head = handshake(split.port, path=ROOM, origin=split.url,
                     headers=["Sec-WebSocket-Protocol: evil, " + "x" * 200])
    assert head.startswith("HTTP/1.1 101")
    assert "sec-websocket-protocol" not in head.lower()


def held_open(sock):
    """The server has neither answered nor closed this connection."""
    sock.setblocking(False)
    try:
        sock.recv(1)
    except BlockingIOError:
        return True
    return False


def test_slow_handshakes_do_not_block_others(split, ws, log_marks):
    """Slowloris: half-sent upgrade requests are held open, yet others connect and chat."""
    slow = []
    try:
        for _ in range(50):
            sock = socket.create_connection(("127.0.0.1", split.port), timeout=10)
            sock.sendall(b"GET /echo/ HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            slow.append(sock)
        still_served(ws(ROOM))
        # Served while the half-sent handshakes are still held, not once they were dropped.
        assert [sock for sock in slow if not held_open(sock)] == []
    finally:
        for sock in slow:
            sock.close()
