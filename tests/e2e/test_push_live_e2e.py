"""Push and live data through the real split: pushes and value changes made by OTHER
processes (manage.py commands, HTTP requests served by the workers) reach
connected sockets; class-based, JSON and progress endpoints behave over a
real WebSocket."""
import json
import subprocess
import uuid

import pytest
import websocket

from tests.support.browser import logged_in
from tests.support.wire import recv_close, recv_json


PASSWORD = "e2e-pass-123"


def unique(prefix):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:8])


def create_user(split, username, superuser=False):
    """A staff user (superuser if asked) in the split's database, via manage.py shell."""
    code = (
        "from django.contrib.auth.models import User; "
        "u = User.objects.create_user(%r, password=%r, is_staff=True, is_superuser=%r)"
        % (username, PASSWORD, superuser)
    )
    split.manage("shell", "-c", code)
    return username


# --- push from outside consumers -------------------------------------------------

def test_manage_push_reaches_everyone_in_the_room(split, ws):
    room = unique("pushed")
    members = [ws("/chat/%s/" % room), ws("/chat/%s/" % room)]
    split.manage("push", "--room", room, "from another process")
    for sock in members:
        frame = recv_json(sock)
        assert (frame["room"], frame["user"]) == (room, "server")
        assert frame["text"] == "from another process"


def test_manage_push_to_a_bad_room_fails_with_a_message(split):
    with pytest.raises(subprocess.CalledProcessError) as failed:
        split.manage("push", "--room", "no spaces", "x")
    assert "room names are" in failed.value.stderr


def test_staff_http_push_reaches_the_room(split, ws):
    staff = create_user(split, unique("staff"))
    room = unique("announce")
    member = ws("/chat/%s/" % room)
    browser = logged_in(split, staff, PASSWORD)
    status, body = browser.post_json("/api/push/", {"room": room, "text": "hello all"})
    assert (status, body) == (200, {"pushed": {"room": room}})
    frame = recv_json(member)
    assert (frame["user"], frame["text"]) == (staff, "hello all")


def test_http_push_by_non_staff_is_403(split):
    username = unique("plain")
    split.manage("shell", "-c", "from django.contrib.auth.models import User; "
                 "User.objects.create_user(%r, password=%r)" % (username, PASSWORD))
    browser = logged_in(split, username, PASSWORD)
    status, body = browser.post_json("/api/push/", {"room": "x", "text": "y"})
    assert (status, body["error"]) == (403, "staff-only")


# --- live values ------------------------------------------------------------------

def live_subscriber(ws):
    """A socket on /live/, past the snapshot every new subscriber gets first."""
    sock = ws("/live/")
    assert recv_json(sock)["payload"]["action"] == "snapshot"
    return sock


def test_a_new_subscriber_first_gets_the_current_values(split, ws):
    name = unique("pressure")
    split.manage("setvalue", name, "1013")
    snapshot = recv_json(ws("/live/"))
    assert (snapshot["stream"], snapshot["payload"]["action"]) == ("values", "snapshot")
    values = {v["data"]["name"]: v["data"]["value"] for v in snapshot["payload"]["values"]}
    assert values[name] == "1013"


def test_setvalue_from_another_process_reaches_every_subscriber(split, ws):
    name = unique("temperature")
    subscribers = [live_subscriber(ws), live_subscriber(ws)]
    split.manage("setvalue", name, "21.5")
    split.manage("setvalue", name, "22.0")
    for sock in subscribers:
        created, updated = recv_json(sock), recv_json(sock)
        assert created["stream"] == updated["stream"] == "values"
        created, updated = created["payload"], updated["payload"]
        assert (created["action"], created["data"]["value"]) == ("create", "21.5")
        assert (updated["action"], updated["data"]["value"]) == ("update", "22.0")
        assert updated["data"]["name"] == name


def test_a_change_in_the_admin_reaches_subscribers(split, ws):
    admin = create_user(split, unique("admin"), superuser=True)
    name = unique("from-admin")
    subscriber = live_subscriber(ws)
    browser = logged_in(split, admin, PASSWORD)
    final_url, _ = browser.post_form("/admin/channels_example/livevalue/add/",
                                     {"name": name, "value": "set in admin", "_save": "Save"})
    assert final_url.endswith("/admin/channels_example/livevalue/")  # saved, back at the list
    payload = recv_json(subscriber)["payload"]
    assert (payload["action"], payload["data"]["name"], payload["data"]["value"]) == (
        "create", name, "set in admin")


def test_anonymous_change_over_the_socket_is_refused_and_socket_stays_open(split, ws):
    sock = live_subscriber(ws)
    sock.send(json.dumps({"stream": "values", "payload": {"action": "create",
                                                          "data": {"name": "x", "value": "y"}}}))
    assert recv_json(sock)["error"] == "not-allowed"
    sock.send("{broken")
    assert recv_json(sock)["error"] == "invalid-json"
    name = unique("still-open")
    split.manage("setvalue", name, "1")
    assert recv_json(sock)["payload"]["data"]["name"] == name


# --- class-based and JSON consumers ----------------------------------------------

def recv_skipping_departures(sock):
    """The next /cbc/chat/ frame that is not a ``left`` notice.

    Sockets closed by earlier tests leave asynchronously, so their notices
    may reach this test's sockets first.
    """
    while True:
        frame = recv_json(sock)
        if not frame.get("left"):
            return frame


def test_class_based_chat_between_two_sockets(ws):
    alice, bob = ws("/cbc/chat/"), ws("/cbc/chat/")
    alice.send('{"text": "hi bob"}')
    for sock in (alice, bob):
        frame = recv_skipping_departures(sock)
        assert (frame["user"], frame["text"]) == ("anonymous", "hi bob")
    alice.close()
    assert recv_json(bob) == {"user": "anonymous", "left": True}


def test_class_based_chat_answers_bad_frames_and_stays_usable(ws):
    sock = ws("/cbc/chat/")
    sock.send("not json")
    assert recv_skipping_departures(sock)["error"] == "invalid-json"
    sock.send('{"text": "fine now"}')
    assert recv_skipping_departures(sock)["text"] == "fine now"
    sock.send_binary(b"\x00")
    assert recv_skipping_departures(sock)["error"] == "text-required"
    assert recv_close(sock)[0] == 4003


def test_json_consumer_echoes_and_survives_malformed_json(ws):
    sock = ws("/json/")
    sock.send('{"a": 1}')
    reply = recv_json(sock)
    assert reply["echo"] == {"a": 1} and reply["ts"].endswith("Z")
    sock.send("{malformed")
    assert recv_json(sock) == {"error": "invalid-json", "detail": "frames must be JSON objects"}
    sock.send('{"b": 2}')
    assert recv_json(sock)["echo"] == {"b": 2}


# --- several messages from one handler --------------------------------------------

def test_progress_streams_every_step_in_order_then_done(ws):
    sock = ws("/progress/")
    sock.send('{"steps": 25}')
    received = [recv_json(sock) for _ in range(26)]
    assert received == [{"step": i, "of": 25} for i in range(1, 26)] + [{"done": True}]


def test_buffered_sends_also_all_arrive_in_order(ws):
    """Without immediately=True the frames leave when the handler returns: all of them."""
    sock = ws("/progress/")
    sock.send('{"steps": 10, "buffered": true}')
    received = [recv_json(sock) for _ in range(11)]
    assert received == [{"step": i, "of": 10} for i in range(1, 11)] + [{"done": True}]


def test_progress_refuses_too_many_steps(ws):
    sock = ws("/progress/")
    sock.send('{"steps": 1000}')
    assert recv_json(sock)["error"] == "invalid-steps"
    sock.send('{"steps": 2}')
    assert [recv_json(sock) for _ in range(3)] == [{"step": 1, "of": 2}, {"step": 2, "of": 2},
                                                   {"done": True}]


@pytest.mark.parametrize("path", ["/live/", "/cbc/chat/", "/json/", "/progress/"])
def test_foreign_origin_gets_403(ws, path):
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        ws(path, origin="http://evil.example")
    assert refused.value.status_code == 403
