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

from tests.support.browser import logged_in
from tests.support.terminal import Terminal
from tests.support.wire import recv_close, recv_json


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
def inspector(split, ws, staff):
    """A staff inspector socket, once every process of the split reports to it."""
    sock = ws("/inspector/", cookie=staff.cookie_header)
    first = recv_json(sock)
    assert (first["role"], first["op"]) == ("inspector", "attached"), first
    until_every_process_reports(sock, split, ws)
    return sock


def until_every_process_reports(sock, split, ws, timeout=30):
    """Echo until the inspector has shown events of daphne and of every worker.

    Each process notices an open inspector on its own next poll; until it
    has, the events of a message it handles are missing.
    """
    workers, daphne = set(), False
    deadline = time.monotonic() + timeout
    while len(workers) < len(split.workers) or not daphne:
        assert time.monotonic() < deadline, "only workers %s reported (daphne: %s)" % (
            sorted(workers), daphne)
        probe = ws("/echo/")
        probe.send("warm-up")
        assert probe.recv() == "warm-up"
        probe.close()
        for event in map(json.loads, quiet_for(sock, 0.3)):
            workers.update([event["pid"]] if event["role"] == "worker" else [])
            daphne = daphne or event["role"] == "daphne"


def collect(sock, done, timeout=15):
    """Raw frames and their events until ``done(events)`` holds; fails on timeout.

    Each process ships its events on its own, so they arrive in no fixed
    order: the tests wait for everything they expect, then look.
    """
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


def hops_of_one_room_message(events, room):
    """Facts the inspector must show of two sockets in ``room`` and one message: {fact: seen}."""
    group, path = "room-" + room, "/chat/%s/" % room
    connects = [e for e in events if (e["role"], e["op"], e["channel"]) ==
                ("worker", "receive", "websocket.connect") and e["content"]["path"] == path]
    sockets = {e["content"]["reply_channel"] for e in connects}
    said = [e for e in events if e["op"] == "receive" and e["channel"] == "websocket.receive"
            and e["content"].get("reply_channel") in sockets]
    group_sends = [e for e in events if e["op"] == "group_send" and e["group"] == group]

    def seen(role, op, channel, **matching):
        """Events of ``role`` doing ``op`` on ``channel`` whose fields (or content) match."""
        return [e for e in events if (e["role"], e["op"], e["channel"]) == (role, op, channel)
                and all(e.get(key, e.get("content", {}).get(key)) == value
                        for key, value in matching.items())]

    facts = {"two connects taken by workers": len(sockets) == 2}
    for n, reply in enumerate(sorted(sockets)):
        facts.update({
            "daphne queued connect %d" % n: seen("daphne", "send", "websocket.connect",
                                                 reply_channel=reply),
            "accept sent to socket %d" % n: seen("worker", "send", reply, accept=True),
            "socket %d added to the group" % n: seen("worker", "group_add", reply, group=group),
            "one reply send to socket %d" % n: len(seen("worker", "send", reply, group=group)) == 1,
            "daphne took the reply for socket %d" % n: any(
                "hello inspector" in e["content"].get("text", "")
                for e in seen("daphne", "receive", reply)),
        })
    facts["the frame taken by a worker"] = len(said) == 1
    facts["one group send"] = len(group_sends) == 1
    return {fact: bool(value) for fact, value in facts.items()}, connects, said, group_sends


def test_one_room_message_hop_by_hop(inspector, ws):
    room = "insp-%s" % uuid.uuid4().hex[:8]
    first, second = ws("/chat/%s/" % room), ws("/chat/%s/" % room)
    first.send(json.dumps({"text": "hello inspector"}))
    for sock in (first, second):
        assert recv_json(sock)["text"] == "hello inspector"

    _, events = collect(inspector, lambda got: all(hops_of_one_room_message(got, room)[0].values()))
    facts, connects, said, group_sends = hops_of_one_room_message(events, room)
    for event in connects:
        # The worker names the consumer it ran and how long it took.
        assert isinstance(event["pid"], int)
        assert event["consumer"] == "consumers.rooms.connect" and event["ms"] >= 0
    assert json.loads(said[0]["content"]["text"]) == {"text": "hello inspector"}
    assert (said[0]["role"], said[0]["consumer"]) == ("worker", "consumers.rooms.receive")
    group_send = group_sends[0]
    assert (group_send["role"], group_send["members"]) == ("worker", 2)
    assert json.loads(group_send["content"]["text"])["text"] == "hello inspector"


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

    path = "/chat/%s/" % room

    def connects(got):
        return [e for e in got if e["channel"] == "websocket.connect"
                and e["content"]["path"] == path]

    def frames(got):
        return [e for e in got if e["channel"] == "websocket.receive"
                and e["content"]["path"] == path]

    def replies(got):
        return [e for e in got if (e["role"], e["op"]) == ("daphne", "receive")
                and "my token is" in e["content"].get("text", "")]

    # Both sockets' connects and the frame, each as daphne queued it and a
    # worker took it, and the two replies as daphne took them.
    raw, events = collect(inspector, lambda got: (
        len(connects(got)) == 4 and len(frames(got)) == 2 and len(replies(got)) == 2))
    shown = "\n".join(raw)
    for secret in [token] + token.split(".") + [staff.cookie("sessionid")]:
        assert secret not in shown
    by_query = [e for e in connects(events) if e["content"]["query_string"]]
    assert [e["content"]["query_string"] for e in by_query] == ["token=[redacted]"] * 2
    by_cookie_header = [dict(e["content"]["headers"]) for e in connects(events)
                        if "cookie" in dict(e["content"]["headers"])]
    assert [headers["cookie"] for headers in by_cookie_header] == ["[redacted]"] * 2
    for event in frames(events) + replies(events):
        assert "my token is [redacted]" in event["content"]["text"]
    by_cookie.close()


def test_secret_fields_headers_and_session_ids_in_frames_never_shown(inspector, ws, staff):
    marker = uuid.uuid4().hex[:8]
    api_key, auth = "apikey-" + marker, "xauth-" + marker
    sock = ws("/echo/", header=["X-Api-Key: " + api_key, "X-Auth: " + auth])
    secrets_sent = [api_key, auth, "pw-" + marker, "tok-" + marker, staff.cookie("sessionid")]
    sock.send(json.dumps({"password": "pw-" + marker, "nested": {"api_token": "tok-" + marker},
                          "note": marker}))
    sock.recv()
    sock.send("pasted: my session is %s (%s)" % (staff.cookie("sessionid"), marker))
    sock.recv()

    def shown(got):  # each frame, as daphne queued it and as a worker took it
        return [e for e in got if e["channel"] == "websocket.receive"
                and marker in e["content"].get("text", "")]

    def connect(got):
        return [e for e in got if e["channel"] == "websocket.connect"
                and "x-api-key" in dict(e["content"]["headers"])]

    raw, events = collect(inspector, lambda got: len(shown(got)) == 4 and connect(got))
    for secret in secrets_sent:
        assert secret not in "\n".join(raw)
    headers = dict(connect(events)[0]["content"]["headers"])
    assert headers["x-api-key"] == headers["x-auth"] == "[redacted]"
    assert headers["origin"].startswith("http://127.0.0.1:")  # harmless ones stay readable
    # Events come from several processes in no fixed order: pick the JSON frame's two.
    as_shown = [json.loads(e["content"]["text"]) for e in shown(events)
                if e["content"]["text"].startswith("{")]
    assert as_shown == 2 * [{"password": "[redacted]", "nested": {"api_token": "[redacted]"},
                             "note": marker}]


def test_underscore_header_is_dropped_before_the_app(inspector, ws):
    """``X_Forwarded_For`` never reaches a consumer, and the socket is served as usual.

    Daphne drops header names with an underscore (CVE-2015-0219: WSGI-style
    names would let one pass for ``X-Forwarded-For``). The inspector shows
    every header name a worker received, so the connect it took must list
    the hyphenated header sent beside it and no name with an underscore.
    """
    marker = uuid.uuid4().hex[:8]
    sock = ws("/echo/?probe=" + marker, header=["X_Forwarded_For: 6.6.6.6", "X-Probe: yes"])
    sock.send("still served")
    assert sock.recv() == "still served"

    def connect(got):
        return [e for e in got if (e["role"], e["op"], e["channel"]) ==
                ("worker", "receive", "websocket.connect")
                and marker in e["content"]["query_string"]]

    _, events = collect(inspector, connect)
    names = [name for name, _ in connect(events)[0]["content"]["headers"]]
    assert "x-probe" in names
    assert [name for name in names if "_" in name] == []


def test_terminal_input_is_never_shown(split, ssh_lab, inspector, staff):
    typed = "typed-%s" % uuid.uuid4().hex[:8]
    term = Terminal(split, staff.cookie_header)
    session = term.status()["session"]
    term.type("read -s P; echo got${#P}\n")
    term.type(typed + "\n")
    term.wait_for(b"got%d\r\n" % len(typed))

    def frames(got):
        return [e for e in got if e["channel"] == "websocket.receive"
                and e["content"]["path"] == "/terminal/lab/"]

    def inputs(got):
        return [e for e in got if e["channel"].startswith("terminal.input.")]

    raw, events = collect(inspector, lambda got: len(frames(got)) >= 4 and len(inputs(got)) >= 2)
    shown = "\n".join(raw)
    assert typed not in shown and "read -s" not in shown and session not in shown
    assert {e["content"]["text"] for e in frames(events)} == {"[redacted]"}
    assert {e["channel"].split("!")[1] for e in inputs(events)} == {"[redacted]"}
    term.finish()


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
