"""A daphne stopping for a deploy, as a person at the room page sees it: back at once.

Two daphnes share the port. The one holding the page's socket gets SIGTERM:
it tells the page ``service-restart`` (with ``retry_ms``), closes with 1012,
and the page reconnects to the other one without backing off, catches up and
hears the room again. How long the page waited is read from its own choice
of delay (a spy on socket.js's ``firstDelay``), not from the wall clock.
"""
import signal

import pytest

from channels_kit.testing.split import wait_for
from tests.support.pages import expect, line_from, say, unique_room, wait_open
from tests.support.splits import running_split

# What socket.js's own backoff would wait at least before its first retry
# (half of its 500 ms base delay): a reconnect "at once" waits less.
BACKOFF_FLOOR_MS = 250

SPY_ON_DELAYS = """() => {
  window.reconnectDelays = [];
  var chosen = ReconnectingSocket.prototype.firstDelay;
  ReconnectingSocket.prototype.firstDelay = function (code) {
    var delay = chosen.call(this, code);
    window.reconnectDelays.push([code, delay]);
    return delay;
  };
}"""


@pytest.fixture
def two_daphnes(tmp_path):
    with running_split("browser-restart", tmp_path, webs=2, shared_port=True) as running:
        yield running


def holding(split, room):
    """The daphne that accepted the page's socket on ``room``."""
    found = [web for web in split.webs if "WSCONNECT /chat/%s/" % room in web.log()]
    return found[0] if len(found) == 1 else None


def test_room_page_reconnects_at_once_when_its_daphne_restarts(two_daphnes, open_page):
    room = unique_room("restart")
    page = open_page(two_daphnes.url, "/chat/%s/" % room)
    wait_open(page)
    wait_for(lambda: holding(two_daphnes, room) is not None, 10, "the page's daphne in its log")
    daphne = holding(two_daphnes, room)
    other = open_page(two_daphnes.url, "/chat/%s/" % room)
    wait_open(other)
    page.evaluate(SPY_ON_DELAYS)
    say(other, "before the restart")
    expect(line_from(page, "anonymous", "before the restart")).to_be_visible()

    daphne.signal(signal.SIGTERM)
    daphne.popen.wait(30)

    expect(page.locator("#messages li.error")).to_contain_text(["service-restart"])
    wait_open(page)
    delays = page.evaluate("window.reconnectDelays")
    assert delays and delays[0][0] == 1012
    assert 0 <= delays[0][1] < BACKOFF_FLOOR_MS
    # Back in the room: what is said now reaches it, and it reaches the others.
    wait_open(other)
    say(other, "after the restart")
    expect(line_from(page, "anonymous", "after the restart")).to_have_count(1)
    say(page, "back")
    expect(line_from(other, "anonymous", "back")).to_be_visible()
    assert "drained in" in daphne.log()
