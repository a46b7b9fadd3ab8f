"""A Redis outage longer than daphne holds frames, as a person at the room page sees it.

Daphne closes every socket with ``service-restart`` (1012) once Redis has
been away for ``WS_OUTAGE_SECONDS`` (1 s here); the page says why, shows that
it is reconnecting, gets back in once Redis is, and hears the room again.
"""
import time

import pytest

from tests.support.pages import (
    RECONNECT_MS,
    expect,
    line_from,
    say,
    screenshot,
    state_of,
    unique_room,
    wait_open,
)
from tests.support.splits import running_split


@pytest.fixture
def short_hold_split(tmp_path):
    with running_split("browser-outage", tmp_path, env={"WS_OUTAGE_SECONDS": "1"}) as running:
        yield running


def test_room_page_shows_the_restart_reconnects_and_hears_the_room_again(short_hold_split,
                                                                           open_page):
    room = unique_room("outage")
    first = open_page(short_hold_split.url, "/chat/%s/" % room)
    second = open_page(short_hold_split.url, "/chat/%s/" % room)
    wait_open(first)
    wait_open(second)
    say(first, "before the outage")
    expect(line_from(second, "anonymous", "before the outage")).to_be_visible()

    short_hold_split.redis.stop()
    try:
        for page in (first, second):
            expect(page.locator("#messages li.error")).to_contain_text(["service-restart"])
            expect(page.locator("#messages li.system")).to_contain_text(
                ["connection lost (1012); reconnecting"])
            expect(state_of(page)).to_have_attribute("data-state", "reconnecting")
        screenshot(first, "room-redis-outage")
        time.sleep(1)
    finally:
        short_hold_split.start_redis()

    wait_open(first, RECONNECT_MS)
    wait_open(second, RECONNECT_MS)
    # Redis came back empty, the room's history with it: the page cannot know
    # what it missed, and says so under the reconnect mark.
    expect(first.locator("#messages li.system .text").nth(-2)).to_have_text("reconnected")
    expect(first.locator("#messages li.system .text").last).to_contain_text(
        "history no longer reaches back to your last message")
    say(first, "after the outage")
    expect(line_from(second, "anonymous", "after the outage")).to_be_visible()
    screenshot(second, "room-after-redis-outage")
