"""Group memberships outlive group_expiry while their socket is open, and die with their daphne.

The split runs with a group_expiry of a few seconds and two daphnes. A
socket that stays open for three times that still hears its room; when one
daphne is killed (SIGKILL: it sends no websocket.disconnect), its sockets'
memberships leave the room's sorted set in Redis within the keeper's bound,
while the other daphne's stay. ``/metrics`` counts both: memberships
refreshed, and memberships pruned because their daphne departed.
"""
import json
import signal
import time
import urllib.request

import pytest
import redis
import websocket
from prometheus_client.parser import text_string_to_metric_families

from channels_kit.daphne.memberships import MembershipKeeper
from channels_kit.layer import RedisChannelLayer
from tests.support.splits import running_split
from tests.support.wire import recv_json

GROUP_EXPIRY = 6
# Slack for a noisy two-core machine, on top of the keeper's own bound.
SLACK = 20


@pytest.fixture(scope="module")
def two_daphnes(tmp_path_factory):
    with running_split("memberships", tmp_path_factory.mktemp("memberships"), webs=2,
                       env={"CHANNEL_GROUP_EXPIRY": str(GROUP_EXPIRY)}) as running:
        yield running


def open_socket(url, room):
    return websocket.create_connection(url + "/chat/%s/" % room, timeout=10,
                                       origin=url.replace("ws:", "http:"))


def members(split, room):
    key = RedisChannelLayer(hosts=split.redis_urls)._group_key("room-" + room)
    return {name.decode() for name in redis.Redis.from_url(split.redis_url).zrange(key, 0, -1)}


def metric(split, name, **labels):
    """The value ``/metrics`` shows for the sample ``name`` with exactly ``labels``."""
    with urllib.request.urlopen(split.url + "/metrics", timeout=15) as response:
        text = response.read().decode()
    return sum(sample.value for family in text_string_to_metric_families(text)
               for sample in family.samples if sample.name == name and sample.labels == labels)


def wait_for(predicate, within, what):
    deadline = time.monotonic() + within
    while not predicate():
        assert time.monotonic() < deadline, "not within %d s: %s" % (within, what)
        time.sleep(0.2)


def test_a_socket_open_for_three_group_expiries_still_hears_its_room(two_daphnes):
    first, second = two_daphnes.ws_urls
    refreshed = metric(two_daphnes, "channels_memberships_refreshed_total")
    listener = open_socket(first, "long")
    try:
        wait_for(lambda: len(members(two_daphnes, "long")) == 1, SLACK, "the listener joined")
        joined = time.monotonic()
        while time.monotonic() - joined < 3 * GROUP_EXPIRY + 1:
            time.sleep(1)
        # Rescored at every tick meanwhile, at least three times.
        assert metric(two_daphnes, "channels_memberships_refreshed_total") >= refreshed + 3
        speaker = open_socket(second, "long")
        try:
            speaker.send(json.dumps({"text": "still there?"}))
            assert recv_json(listener)["text"] == "still there?"
        finally:
            speaker.close()
    finally:
        listener.close()


def test_a_killed_daphnes_members_leave_the_group_within_the_bound(two_daphnes):
    first, second = two_daphnes.ws_urls
    survivor = open_socket(first, "ghosts")
    wait_for(lambda: len(members(two_daphnes, "ghosts")) == 1, SLACK, "the survivor joined")
    (survivor_channel,) = members(two_daphnes, "ghosts")
    doomed = open_socket(second, "ghosts")
    try:
        wait_for(lambda: len(members(two_daphnes, "ghosts")) == 2, SLACK, "the doomed joined")
        doomed_channel = (members(two_daphnes, "ghosts") - {survivor_channel}).pop()
        pruned = metric(two_daphnes, "channels_memberships_pruned_total", why="daphne_departed")
        two_daphnes.webs[1].signal(signal.SIGKILL)
        bound = MembershipKeeper.silent_periods + 1
        bound *= min(MembershipKeeper.most_every, GROUP_EXPIRY / 3.0)
        # Nothing is sent to the room meanwhile, so asgi_redis's own expiry
        # sweep (it runs on a group send) cannot be what removes the member.
        wait_for(lambda: doomed_channel not in members(two_daphnes, "ghosts"),
                 bound + SLACK, "the killed daphne's member left")
        assert members(two_daphnes, "ghosts") == {survivor_channel}
        wait_for(lambda: metric(two_daphnes, "channels_memberships_pruned_total",
                                why="daphne_departed") >= pruned + 1,
                 SLACK, "/metrics counts the pruned membership")
        speaker = open_socket(first, "ghosts")
        try:
            speaker.send(json.dumps({"text": "who is left?"}))
            assert recv_json(survivor)["text"] == "who is left?"
        finally:
            speaker.close()
    finally:
        survivor.close()
        doomed.close()
