"""Redis outages through a real split of this module's own: nothing accepted is lost, no socket goes deaf.

A Redis restart here comes back empty (the embedded Redis keeps nothing on
disk), so every group membership and channel session is gone. Daphne holds
the frames sent meanwhile, notices the loss and sends each open socket's
connect again; the tests check what a client sees: its frames arrive, in
order, and a socket that only listens hears its group again.
"""
import json
import time

import pytest
import redis
import websocket

from channels_kit.daphne.redis_watch import RedisWatch
from channels_kit.testing.split import wait_for
from tests.support.browser import signed_up
from tests.support.figures import record
from tests.support.splits import running_split
from tests.support.wire import recv_close, recv_json, say


FIGURES = "outage-figures.json"


@pytest.fixture(scope="module")
def outage_split(tmp_path_factory):
    with running_split("outage", tmp_path_factory.mktemp("outage"),
                       env={"WORKER_VERBOSITY": "2"}) as running:
        yield running


def connect(split, path, cookie=None, deadline=None):
    """Open a socket, retrying while daphne refuses connects (Redis still away) until ``deadline``."""
    while True:
        try:
            return websocket.create_connection(split.ws_url + path, origin=split.url, timeout=10,
                                               cookie=cookie)
        except (websocket.WebSocketException, OSError):
            if deadline is None or time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def restart_redis(split, down_for):
    split.redis.stop()
    time.sleep(down_for)
    split.start_redis()
    return time.monotonic()


def test_20_frames_sent_during_a_3s_restart_all_reach_the_room_in_order(outage_split):
    alice, bob = connect(outage_split, "/chat/held/"), connect(outage_split, "/chat/held/")
    say(alice, "before")
    assert recv_json(bob)["text"] == "before"

    outage_split.redis.stop()
    stopped = time.monotonic()
    for i in range(20):
        say(alice, "held %d" % i)
        time.sleep(0.14)
    time.sleep(max(0.0, stopped + 3 - time.monotonic()))
    outage_split.start_redis()
    back = time.monotonic()

    bob.settimeout(15)
    got = [recv_json(bob)["text"] for _ in range(20)]
    delivered = time.monotonic() - back
    say(alice, "after")
    assert recv_json(bob)["text"] == "after"
    print("\n20 frames sent during a %.1fs Redis restart: all delivered, in order, %.1fs after "
          "Redis was back" % (back - stopped, delivered))
    record(FIGURES, "restart_held_frames", {"sent_during_outage": 20, "delivered": len(got),
                                   "outage_seconds": round(back - stopped, 1),
                                   "seconds_until_delivered": round(delivered, 1)})
    assert got == ["held %d" % i for i in range(20)]
    assert "Redis lost its groups" in outage_split.web.log()


def test_listening_sockets_on_every_group_route_hear_their_group_after_a_restart(outage_split):
    dora, dave = signed_up(outage_split, "dora_outage"), signed_up(outage_split, "dave_outage")
    listeners = {
        "/chat/": connect(outage_split, "/chat/"),
        "/chat/deaf/": connect(outage_split, "/chat/deaf/"),
        "/letters/": connect(outage_split, "/letters/", cookie=dora.cookie_header),
        "/notifications/": connect(outage_split, "/notifications/", cookie=dora.cookie_header),
        "/live/": connect(outage_split, "/live/"),
        "/cbc/chat/": connect(outage_split, "/cbc/chat/"),
    }
    assert recv_json(listeners["/live/"])["payload"]["action"] == "snapshot"

    back = restart_redis(outage_split, down_for=1)
    deadline = back + 15
    speakers = {
        "/chat/": connect(outage_split, "/chat/", deadline=deadline),
        "/chat/deaf/": connect(outage_split, "/chat/deaf/", deadline=deadline),
        "/letters/": connect(outage_split, "/letters/", cookie=dave.cookie_header,
                             deadline=deadline),
        "/notifications/": connect(outage_split, "/notifications/", cookie=dora.cookie_header,
                                   deadline=deadline),
        "/cbc/chat/": connect(outage_split, "/cbc/chat/", deadline=deadline),
    }
    for path, sock in speakers.items():
        say(sock, "heard on %s" % path)
    outage_split.manage("setvalue", "outage-gauge", "7")

    heard = {}
    for path, sock in listeners.items():
        sock.settimeout(10)
        heard[path] = first_not_skipped(sock)
    seconds = time.monotonic() - back
    print("\nevery group route heard its group again %.1fs after Redis was back" % seconds)
    record(FIGURES, "restart_listeners_heard", {"routes": sorted(heard), "seconds": round(seconds, 1)})
    for path in speakers:
        assert "heard on %s" % path in heard[path], (path, heard[path])
    assert heard["/live/"]["payload"]["data"]["name"] == "outage-gauge"


def first_not_skipped(sock):
    """The first frame that is not a snapshot of /live/ (a replayed connect sends a fresh one)."""
    while True:
        frame = sock.recv()
        try:
            value = json.loads(frame)
        except ValueError:
            return frame  # /chat/ sends plain "[user] text"
        if value.get("payload", {}).get("action") == "snapshot" or value.get("left"):
            continue
        return value if "payload" in value else value.get("text", frame)


def wait_for_a_probe(split):
    """Return once daphne's Redis watch has probed its markers since this call began.

    Each probe sets its marker's TTL back; a TTL moved away by the test comes
    back only through a probe. The first such probe may have begun before this
    call; probes run one at a time, so the second began after it.
    """
    client = redis.StrictRedis.from_url(split.redis_url)
    markers = list(client.scan_iter(match="*" + RedisWatch.marker_prefix + "*"))
    assert markers, "daphne keeps no marker in Redis"
    for _ in range(2):
        for key in markers:
            client.expire(key, RedisWatch.marker_ttl * 10)
        wait_for(lambda: all(client.ttl(key) <= RedisWatch.marker_ttl for key in markers), 30,
                 "daphne's next Redis probe")


def test_a_listener_hears_its_room_again_after_a_flush(outage_split):
    listener = connect(outage_split, "/chat/flushed/")
    wait_for_a_probe(outage_split)  # daphne knows the listener predates the flush (see lost_state)
    redis.StrictRedis.from_url(outage_split.redis_url).flushall()
    flushed = time.monotonic()
    speaker = connect(outage_split, "/chat/flushed/")
    listener.settimeout(0.5)
    attempt = 0
    while time.monotonic() < flushed + 60:
        attempt += 1
        try:
            say(speaker, "after flush %d" % attempt)
        except (websocket.WebSocketException, OSError):
            # Opened between the flush and daphne noticing it: closed with 1012
            # (a replayed connect could not be told apart from its first).
            speaker = connect(outage_split, "/chat/flushed/")
        try:
            while True:
                if recv_json(listener)["text"].startswith("after flush"):
                    print("\nlistener heard its room %.1fs after FLUSHALL"
                          % (time.monotonic() - flushed))
                    return
        except websocket.WebSocketTimeoutException:
            pass
    pytest.fail("the listener stayed deaf for a minute after FLUSHALL")


def test_by_default_daphne_holds_an_idle_socket_through_10s_of_outage(outage_split):
    """WS_OUTAGE_SECONDS is 10 unless set: no socket is given up sooner, and then it is told."""
    idle = connect(outage_split, "/chat/default-hold/")
    idle.settimeout(60)
    stopping = time.monotonic()  # daphne cannot see the outage begin before this
    outage_split.redis.stop()
    try:
        error = recv_json(idle)
        told_after = time.monotonic() - stopping
        assert (error["error"], error["close"]) == ("service-restart", 1012)
        assert recv_close(idle)[0] == 1012
        print("\nidle socket told service-restart %.1fs after Redis stopped" % told_after)
        assert told_after >= 10
    finally:
        outage_split.start_redis()


@pytest.fixture
def short_hold_split(tmp_path):
    with running_split("outage-short", tmp_path, env={"WS_OUTAGE_SECONDS": "1"}) as running:
        yield running


def test_an_outage_past_the_hold_time_closes_sockets_with_a_reason(short_hold_split):
    idle = connect(short_hold_split, "/chat/long/")
    busy = connect(short_hold_split, "/chat/long/")
    short_hold_split.redis.stop()
    try:
        say(busy, "sent while down")
        idle_error, busy_error = recv_json(idle), recv_json(busy)
        assert (idle_error["error"], idle_error["close"]) == ("service-restart", 1012)
        assert recv_close(idle)[0] == 1012
        assert (busy_error["error"], busy_error["close"]) == ("service-unavailable", 1013)
        assert "1 frames you sent were not delivered" in busy_error["detail"]
        assert recv_close(busy)[0] == 1013
    finally:
        short_hold_split.start_redis()
