"""Who is in a room, through the real split: two daphnes, two workers, Redis.

Users log in through the sign-up form and open ``/chat/<room>/?presence``
sockets, as the room page does. The split runs with a group_expiry of a few
seconds, so the daphnes' membership keeper ticks often and a SIGKILLed
daphne's sockets are pruned within seconds, and announced as gone.
"""
import signal
import time
import uuid

import pytest
import websocket

from channels_kit.daphne.memberships import MembershipKeeper
from channels_kit.layer import RedisChannelLayer
from channels_kit.presence.stores import RedisPresence
from tests.support.browser import signed_up
from tests.support.splits import running_split
from tests.support.wire import recv_json, say

GROUP_EXPIRY = 6
# Slack for a noisy two-core machine, on top of the keeper's own bound.
SLACK = 20


@pytest.fixture(scope="module")
def two_daphnes(tmp_path_factory):
    with running_split("presence", tmp_path_factory.mktemp("presence"), webs=2,
                       env={"CHANNEL_GROUP_EXPIRY": str(GROUP_EXPIRY)}) as running:
        yield running


@pytest.fixture
def sockets():
    """Open presence sockets; each is closed after the test."""
    opened = []

    def open_socket(url, room, cookie=None, query="presence"):
        sock = websocket.create_connection(
            "%s/chat/%s/?%s" % (url, room, query), timeout=15,
            origin=url.replace("ws:", "http:"), cookie=cookie)
        opened.append(sock)
        return sock

    yield open_socket
    for sock in opened:
        sock.close()


def person(split, prefix):
    """(username, the cookie header of their logged-in session)."""
    username = "%s_%s" % (prefix, uuid.uuid4().hex[:6])
    return username, signed_up(split, username).cookie_header


def new_room(prefix):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:8])


def labels(split, room):
    """The label of every socket Redis counts as present in ``room``, one per socket."""
    return sorted(RedisPresence(RedisChannelLayer(hosts=split.redis_urls)).present(
        "room-" + room)[1])


def wait_for(predicate, within, what):
    deadline = time.monotonic() + within
    while not predicate():
        assert time.monotonic() < deadline, "not within %d s: %s" % (within, what)
        time.sleep(0.2)


def recv_within(sock, seconds, what):
    """The next frame, waited for at most ``seconds`` in all.

    Not one long socket timeout: daphne pings every 20 s, and each ping
    would start the timeout again.
    """
    deadline = time.monotonic() + seconds
    sock.settimeout(2)
    try:
        while True:
            try:
                return recv_json(sock)
            except websocket.WebSocketTimeoutException:
                assert time.monotonic() < deadline, "not within %d s: %s" % (seconds, what)
    finally:
        sock.settimeout(15)


def frames_until(sock, last):
    """Every frame up to and including the first for which ``last(frame)`` holds."""
    frames = []
    while not frames or not last(frames[-1]):
        frames.append(recv_json(sock))
    return frames


def said(text):
    return lambda frame: frame.get("text") == text


def presence_frames(frames):
    return [{k: v for k, v in frame.items() if k != "seq"} for frame in frames
            if "present" in frame or "joined" in frame or "left" in frame or "guests" in frame]


def test_two_users_see_each_other_and_a_second_tab_counts_once(two_daphnes, sockets):
    first, second = two_daphnes.ws_urls
    room = new_room("pair")
    alice, alice_cookie = person(two_daphnes, "alice")
    bob, bob_cookie = person(two_daphnes, "bob")

    alice_tab = sockets(first, room, alice_cookie)
    assert presence_frames([recv_json(alice_tab)]) == [{"present": [alice], "guests": 0}]
    bob_tab = sockets(second, room, bob_cookie)
    assert presence_frames([recv_json(bob_tab)]) == [
        {"present": sorted([alice, bob]), "guests": 0}]
    assert presence_frames([recv_json(alice_tab)]) == [{"joined": bob}]

    second_tab = sockets(second, room, alice_cookie)
    assert presence_frames([recv_json(second_tab)]) == [
        {"present": sorted([alice, bob]), "guests": 0}]
    wait_for(lambda: labels(two_daphnes, room) == sorted([alice, alice, bob]), SLACK,
             "both of alice's tabs are counted")
    say(bob_tab, "after the second tab")
    # Nobody heard of alice's second tab: the next frame is the message.
    for tab in (alice_tab, bob_tab):
        assert presence_frames(frames_until(tab, said("after the second tab"))) == []


def test_a_leave_is_announced_only_when_the_last_tab_closes(two_daphnes, sockets):
    first, second = two_daphnes.ws_urls
    room = new_room("tabs")
    alice, alice_cookie = person(two_daphnes, "alice")
    bob, bob_cookie = person(two_daphnes, "bob")
    bob_tab = sockets(first, room, bob_cookie)
    recv_json(bob_tab)
    tabs = [sockets(url, room, alice_cookie) for url in (first, second)]
    for tab in tabs:
        recv_json(tab)
    wait_for(lambda: labels(two_daphnes, room) == sorted([alice, alice, bob]), SLACK,
             "alice's two tabs and bob are counted")
    assert presence_frames(frames_until(bob_tab, lambda frame: "joined" in frame)) == [
        {"joined": alice}]

    tabs[0].close()
    wait_for(lambda: labels(two_daphnes, room) == sorted([alice, bob]), SLACK,
             "alice's first tab has left")
    say(bob_tab, "one tab closed")
    assert presence_frames(frames_until(bob_tab, said("one tab closed"))) == []

    tabs[1].close()
    assert presence_frames([recv_json(bob_tab)]) == [{"left": alice}]
    assert labels(two_daphnes, room) == [bob]


def test_guests_are_counted_and_sockets_that_do_not_ask_are_not(two_daphnes, sockets):
    first, second = two_daphnes.ws_urls
    room = new_room("guests")
    watcher = sockets(first, room)
    assert presence_frames([recv_json(watcher)]) == [{"present": [], "guests": 1}]
    guest = sockets(second, room)
    assert presence_frames([recv_json(guest)]) == [{"present": [], "guests": 2}]
    assert presence_frames([recv_json(watcher)]) == [{"guests": 2}]
    plain = sockets(second, room, query="")
    say(plain, "not counted")
    assert presence_frames(frames_until(watcher, said("not counted"))) == []
    guest.close()
    assert presence_frames([recv_json(watcher)]) == [{"guests": 1}]


def test_a_killed_daphnes_users_leave_the_room_within_the_prune_bound(two_daphnes, sockets):
    """Last in the module: it kills the second daphne."""
    first, second = two_daphnes.ws_urls
    room = new_room("ghosts")
    alice, alice_cookie = person(two_daphnes, "alice")
    bob, bob_cookie = person(two_daphnes, "bob")
    survivor = sockets(first, room, alice_cookie)
    recv_json(survivor)
    doomed = sockets(second, room, bob_cookie)
    recv_json(doomed)
    assert presence_frames([recv_json(survivor)]) == [{"joined": bob}]

    two_daphnes.webs[1].signal(signal.SIGKILL)
    bound = MembershipKeeper.silent_periods + 1
    bound *= min(MembershipKeeper.most_every, GROUP_EXPIRY / 3.0)
    left = recv_within(survivor, bound + SLACK, "the killed daphne's user was announced gone")
    assert presence_frames([left]) == [{"left": bob}]
    assert labels(two_daphnes, room) == [alice]
    newcomer = sockets(first, room)
    assert presence_frames([recv_json(newcomer)]) == [{"present": [alice], "guests": 1}]
