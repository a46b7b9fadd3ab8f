"""The channel-layer inspector on the real split: what a staff socket on /inspector/ sees.

Everything here goes through redis-server, daphne and two runworkers: the
events come from the layer hooks in those processes, through the Redis
stream and daphne's relay, to a WebSocket client.
"""
import json
import time
import urllib.parse
import urllib.request
import uuid

import pytest
import websocket

from channels_kit.inspector.tap import Tap
from tests.browser import logged_in
from tests.wire import recv_close, recv_json

pytestmark = pytest.mark.e2e

PASSWORD = "inspector-pass-123"
STAFF, MEMBER = "insp_staff", "insp_member"
CREATE_USERS = (
    "from django.contrib.auth.models import User; "
    "User.objects.filter(username__in=[%(staff)r, %(member)r]).delete(); "
    "User.objects.create_user(%(staff)r, password=%(pw)r, is_staff=True); "
    "User.objects.create_user(%(member)r, password=%(pw)r)"
    % {"staff": STAFF, "member": MEMBER, "pw": PASSWORD}
)


@pytest.fixture(scope="module")
def users(split):
    split.manage("shell", "-c", CREATE_USERS)


@pytest.fixture(scope="module")
def staff(split, users):
    return logged_in(split, STAFF, PASSWORD)


@pytest.fixture
def inspector(ws, staff):
    """A staff inspector socket, once every process of the split reports to it."""
    sock = ws("/inspector/", cookie=staff.cookie_header)
    first = recv_json(sock)
    assert (first["role"], first["op"]) == ("inspector", "attached"), first
    # Each process notices an open inspector within one poll.
    time.sleep(Tap.poll_seconds + 0.5)
    return sock


def collect(sock, done, timeout=15):
    """Raw frames and their events until ``done(events)`` holds; fails on timeout."""
    raw, events = [], []
    deadline = time.monotonic() + timeout
    sock.settimeout(0.5)
    while not done(events):
        assert time.monotonic() < deadline, "inspector never showed it; got:\n%s" % "\n".join(raw)
        try:
            frame = sock.recv()
        except websocket.WebSocketTimeoutException:
            continue
        raw.append(frame)
        events.append(json.loads(frame))
    return raw, events


def quiet_for(sock, seconds):
    """Every frame the socket gets within ``seconds``."""
    raw, deadline = [], time.monotonic() + seconds
    sock.settimeout(0.2)
    while time.monotonic() < deadline:
        try:
            raw.append(sock.recv())
        except websocket.WebSocketTimeoutException:
            pass
    return raw


def room_sends(events, group, count):
    return len([e for e in events if e["op"] == "send" and e.get("group") == group]) >= count


def test_one_room_message_hop_by_hop(inspector, ws):
    room = "insp-%s" % uuid.uuid4().hex[:8]
    group = "room-" + room
    first, second = ws("/chat/%s/" % room), ws("/chat/%s/" % room)
    first.send(json.dumps({"text": "hello inspector"}))
    for sock in (first, second):
        assert recv_json(sock)["text"] == "hello inspector"

    _, events = collect(inspector, lambda got: room_sends(got, group, 2))
    connects = [e for e in events if e["op"] == "receive" and e["channel"] == "websocket.connect"
                and e["content"]["path"] == "/chat/%s/" % room]
    sockets = {e["content"]["reply_channel"] for e in connects}
    assert len(connects) == 2 and len(sockets) == 2
    for event in connects:
        # Taken by a worker, which names the consumer and how long it ran.
        assert event["role"] == "worker" and isinstance(event["pid"], int)
        assert event["consumer"] == "consumers.rooms.connect" and event["ms"] >= 0
    # Daphne put each connect on the layer first.
    queued = [e for e in events if (e["role"], e["op"], e["channel"]) ==
              ("daphne", "send", "websocket.connect")]
    assert {e["content"]["reply_channel"] for e in queued} >= sockets
    for reply in sockets:
        assert any(e["op"] == "send" and e["channel"] == reply and e["content"].get("accept")
                   and e["role"] == "worker" for e in events), "no accept sent to %s" % reply
        assert any(e["op"] == "group_add" and e["group"] == group and e["channel"] == reply
                   for e in events), "no group_add of %s" % reply

    frame = next(e for e in events if e["op"] == "receive" and e["channel"] == "websocket.receive"
                 and e["content"].get("reply_channel") in sockets)
    assert json.loads(frame["content"]["text"]) == {"text": "hello inspector"}
    assert (frame["role"], frame["consumer"]) == ("worker", "consumers.rooms.receive")

    group_send = next(e for e in events if e["op"] == "group_send")
    assert (group_send["group"], group_send["members"], group_send["role"]) == (group, 2, "worker")
    assert json.loads(group_send["content"]["text"])["text"] == "hello inspector"
    member_sends = [e["channel"] for e in events if e["op"] == "send" and e.get("group") == group]
    assert sorted(member_sends) == sorted(sockets)  # one reply send per member
    # ...and daphne took each reply off its response channel, for its socket.

    def delivered(got):
        return len([e for e in events + got if e["role"] == "daphne" and e["op"] == "receive"
                    and e["channel"] in sockets
                    and "hello inspector" in e["content"].get("text", "")]) == 2
    collect(inspector, delivered)


def obtain_token(split):
    data = urllib.parse.urlencode({"username": STAFF, "password": PASSWORD}).encode()
    with urllib.request.urlopen(split.url + "/api-token-auth/", data, timeout=10) as response:
        return json.loads(response.read())["token"]


def test_tokens_and_session_keys_never_shown(split, inspector, ws, staff):
    token = obtain_token(split)
    room = "insp-%s" % uuid.uuid4().hex[:8]
    by_token = ws("/chat/%s/?token=%s" % (room, token))
    by_cookie = ws("/chat/%s/" % room, cookie=staff.cookie_header)
    by_token.send(json.dumps({"text": "my token is " + token}))
    assert recv_json(by_token)["user"] == STAFF

    raw, events = collect(inspector, lambda got: room_sends(got, "room-" + room, 2))
    shown = "\n".join(raw)
    assert token not in shown
    for part in token.split("."):
        assert part not in shown
    assert staff.cookie("sessionid") not in shown
    connect = next(e for e in events if e["channel"] == "websocket.connect"
                   and e["content"]["path"] == "/chat/%s/" % room and e["role"] == "worker"
                   and e["content"]["query_string"])
    assert connect["content"]["query_string"] == "token=[redacted]"
    headers = dict(next(e for e in events if e["channel"] == "websocket.connect"
                        and "cookie" in dict(e["content"]["headers"]))["content"]["headers"])
    assert headers["cookie"] == "[redacted]"
    said = next(e for e in events if e["channel"] == "websocket.receive"
                and e["content"].get("text", "").startswith('{"text": "my token is'))
    assert json.loads(said["content"]["text"]) == {"text": "my token is [redacted]"}
    by_cookie.close()


def test_the_inspector_never_shows_itself(inspector, ws, staff):
    # Idle, it hears nothing: an inspector that reported its own traffic
    # would report each event it was sent, for ever.
    assert quiet_for(inspector, 2.0) == []
    # A second inspector opening, watching and closing is not shown either.
    other = ws("/inspector/", cookie=staff.cookie_header)
    assert recv_json(other)["op"] == "attached"
    echo = ws("/echo/")
    echo.send("marker")
    assert echo.recv() == "marker"
    other.close()
    raw, events = collect(inspector, lambda got: any(
        e["op"] == "receive" and e["role"] == "daphne" and e["content"].get("text") == "marker"
        for e in got))
    time.sleep(0.5)
    raw += quiet_for(inspector, 1.0)
    assert "/inspector/" not in "\n".join(raw)
    assert not any('\\"op\\"' in frame for frame in raw)  # no event carried inside another


@pytest.mark.parametrize("who, error, code", [
    (None, "login-required", 4201),
    (MEMBER, "staff-required", 4203),
])
def test_anonymous_and_non_staff_are_refused(split, users, ws, who, error, code):
    cookie = logged_in(split, who, PASSWORD).cookie_header if who else None
    sock = ws("/inspector/", cookie=cookie) if cookie else ws("/inspector/")
    frame = recv_json(sock)
    assert (frame["error"], frame["close"]) == (error, code)
    assert recv_close(sock)[0] == code
