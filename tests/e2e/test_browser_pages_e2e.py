"""The pages in a real browser: Debian's Chromium driven by Playwright, against
the real split (redis-server + daphne + two runworkers).

Each test checks what a person at the page would see: their messages in the
other tab, their username, the connection badge saying "reconnecting" while
daphne is down and "open" once it is back. Screenshots of every page land in
test-artifacts/screenshots/.

Chromium comes from apt (``scripts/test_tools.sh``, run by ./run-tests);
Playwright's own browser download is not used. Without Chromium or Playwright
these tests skip, or fail under STRICT_TOOLS=1 (CI).
"""
import uuid

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


def test_two_browsers_in_one_room_see_each_others_messages(split, open_page):
    room = unique_room("pair")
    first = open_page(split.url, "/chat/%s/" % room)
    second = open_page(split.url, "/chat/%s/" % room)
    wait_open(first)
    wait_open(second)

    say(first, "hello from the first tab")
    expect(line_from(second, "anonymous", "hello from the first tab")).to_be_visible()
    say(second, "and back from the second")
    expect(line_from(first, "anonymous", "and back from the second")).to_be_visible()
    # Each line carries the server's time, shown as a local clock time.
    assert first.locator("#messages li.message time").first.get_attribute("datetime").endswith("Z")
    screenshot(first, "room-first-tab")
    screenshot(second, "room-second-tab")


def test_global_chat_page(split, open_page):
    first = open_page(split.url, "/chat/")
    second = open_page(split.url, "/chat/")
    wait_open(first)
    wait_open(second)
    text = "global line %s" % uuid.uuid4().hex[:6]
    say(first, text)
    expect(line_from(second, "anonymous", text)).to_be_visible()
    screenshot(second, "global-chat")


def test_logged_in_user_name_shows_on_messages(split, open_page):
    username = "ada_%s" % uuid.uuid4().hex[:6]
    split.manage("shell", "-c",
                 "from django.contrib.auth.models import User; "
                 "User.objects.create_user(%r, password='correct horse battery')" % username)
    room = unique_room("auth")
    page = open_page(split.url, "/accounts/login/?next=/chat/%s/" % room)
    screenshot(page, "login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()

    page.wait_for_url("**/chat/%s/" % room)
    expect(page.locator("#username")).to_have_text(username)
    wait_open(page)
    onlooker = open_page(split.url, "/chat/%s/" % room)
    wait_open(onlooker)

    say(page, "signed and sent")
    expect(line_from(page, username, "signed and sent")).to_be_visible()
    expect(line_from(onlooker, username, "signed and sent")).to_be_visible()
    screenshot(page, "room-logged-in")


@pytest.fixture
def own_split(tmp_path):
    """A split of our own: this test kills daphne, which the shared one must not see."""
    with running_split("browser-restart", tmp_path) as running:
        yield running


def test_page_reconnects_and_rejoins_room_after_daphne_restart(own_split, open_page):
    room = unique_room("restart")
    first = open_page(own_split.url, "/chat/%s/" % room)
    second = open_page(own_split.url, "/chat/%s/" % room)
    wait_open(first)
    wait_open(second)
    say(first, "before the restart")
    expect(line_from(second, "anonymous", "before the restart")).to_be_visible()

    own_split.web.stop()
    for page in (first, second):
        expect(state_of(page)).to_have_attribute("data-state", "reconnecting")
        expect(state_of(page)).to_contain_text("reconnecting in")
        expect(page.get_by_label("message")).to_be_disabled()
        expect(page.locator("#messages li.system")).to_contain_text(["connection lost"])
    screenshot(first, "room-reconnecting")

    own_split.start_web()
    wait_open(first, RECONNECT_MS)
    wait_open(second, RECONNECT_MS)
    expect(first.locator("#messages li.system .text").last).to_have_text("reconnected")
    say(first, "after the restart")
    expect(line_from(second, "anonymous", "after the restart")).to_be_visible()
    say(second, "heard you")
    expect(line_from(first, "anonymous", "heard you")).to_be_visible()
    screenshot(first, "room-reconnected")


def test_room_page_catches_up_on_what_it_missed_and_a_newcomer_sees_the_latest(own_split,
                                                                                 open_page):
    room = unique_room("catchup")
    page = open_page(own_split.url, "/chat/%s/" % room)
    wait_open(page)
    say(page, "before the restart")
    expect(line_from(page, "anonymous", "before the restart")).to_be_visible()

    own_split.web.stop()
    expect(state_of(page)).to_have_attribute("data-state", "reconnecting")
    for n in range(3):  # said while this page could not hear: pushed through Redis
        own_split.manage("push", "--room", room, "missed %d" % n)
    own_split.start_web()
    wait_open(page, RECONNECT_MS)
    said = ["before the restart", "missed 0", "missed 1", "missed 2"]
    expect(page.locator("#messages li.message .text")).to_have_text(said)
    say(page, "after")
    expect(page.locator("#messages li.message .text")).to_have_text(said + ["after"])
    screenshot(page, "room-caught-up")

    newcomer = open_page(own_split.url, "/chat/%s/" % room)
    wait_open(newcomer)
    expect(newcomer.locator("#messages li.message .text")).to_have_text(said + ["after"])


def live_row(page, name):
    """The /live/ table row of the value called ``name``."""
    return page.locator("#values tr").filter(has=page.locator("td", has_text=name))


def delete_value(split, name):
    """Delete a LiveValue from another process, as the admin's delete would."""
    split.manage("shell", "-c", "from channels_example.models import LiveValue; "
                 "LiveValue.objects.get(name=%r).delete()" % name)


def test_live_page_shows_the_current_values_then_every_change(split, open_page):
    name = unique_room("humidity")
    split.manage("setvalue", name, "40%")
    page = open_page(split.url, "/live/")
    wait_open(page)
    expect(live_row(page, name).locator("td").nth(1)).to_have_text("40%")
    split.manage("setvalue", name, "45%")
    expect(live_row(page, name).locator("td").nth(1)).to_have_text("45%")
    expect(live_row(page, name).locator("td").nth(2)).to_contain_text("update at")
    delete_value(split, name)
    expect(live_row(page, name)).to_have_count(0)
    screenshot(page, "live-values")


def test_live_page_catches_up_after_a_reconnect(own_split, open_page):
    kept, gone, added = (unique_room(prefix) for prefix in ("kept", "gone", "added"))
    for name in (kept, gone):
        own_split.manage("setvalue", name, "before")
    page = open_page(own_split.url, "/live/")
    wait_open(page)
    expect(live_row(page, gone)).to_have_count(1)

    own_split.web.stop()
    expect(state_of(page)).to_have_attribute("data-state", "reconnecting")
    # Missed while disconnected: the snapshot on reconnect must bring the page up to date.
    own_split.manage("setvalue", kept, "changed meanwhile")
    own_split.manage("setvalue", added, "new meanwhile")
    delete_value(own_split, gone)
    own_split.start_web()
    wait_open(page, RECONNECT_MS)
    expect(live_row(page, kept).locator("td").nth(1)).to_have_text("changed meanwhile")
    expect(live_row(page, added).locator("td").nth(1)).to_have_text("new meanwhile")
    expect(live_row(page, gone)).to_have_count(0)
    screenshot(page, "live-values-reconnected")


def test_backoff_grows_exponentially_with_jitter_up_to_the_cap(split, open_page):
    """The page's own retry delays: each within [ceiling/2, ceiling], ceilings doubling to 10 s."""
    page = open_page(split.url, "/console/")
    delays = page.evaluate("""() => {
        const socket = Object.create(ReconnectingSocket.prototype);
        Object.assign(socket, {baseDelay: 500, maxDelay: 10000, attempts: 0});
        return Array.from({length: 8}, () => socket.nextDelay());
    }""")
    ceilings = [500, 1000, 2000, 4000, 8000, 10000, 10000, 10000]
    for delay, ceiling in zip(delays, ceilings):
        assert ceiling / 2 <= delay <= ceiling


def test_policy_close_is_shown_and_not_retried(split, open_page):
    """A 4xxx close is final: the page shows the code and the server's reason."""
    page = open_page(split.url, "/console/?path=/chat/no%20spaces/")
    badge = state_of(page)
    expect(badge).to_have_attribute("data-state", "closed")
    expect(badge).to_contain_text("4100")
    expect(badge).to_contain_text("invalid-room")
    page.wait_for_timeout(3000)  # a retry would have flipped it to "reconnecting" by now
    expect(badge).to_have_attribute("data-state", "closed")
    screenshot(page, "console-policy-close")


def test_refusal_frame_stands_in_for_a_lost_close_frame(split, open_page):
    """Error frame naming close 4302, then 1006 (the close frame lost to a reset): still final.

    A frame for an error that keeps the socket open names no close code, so a
    1006 after it is an outage and the page reconnects.
    """
    page = open_page(split.url, "/console/")
    outcome = page.evaluate("""() => {
        function closedAfter(lastError) {
            const states = [];
            const socket = Object.create(ReconnectingSocket.prototype);
            Object.assign(socket, {baseDelay: 500, maxDelay: 10000, attempts: 0,
                                   stopped: false, lastError: lastError,
                                   onstate: (state, info) => states.push([state, info])});
            socket.closed(1006, "");
            socket.stopped = true;
            clearTimeout(socket.timer);
            return states;
        }
        return {
            refused: closedAfter({error: "token-bad-signature", detail: "Bad signature.",
                                  close: 4302}),
            kept_open: closedAfter({error: "invalid-json", detail: "not JSON"}),
        };
    }""")
    assert outcome["refused"] == [
        ["closed", {"code": 4302, "reason": "token-bad-signature: Bad signature.",
                    "error": "token-bad-signature"}]]
    assert outcome["kept_open"][0][0] == "reconnecting"


def test_echo_test_page_shows_hello_world(split, open_page):
    page = open_page(split.url, "/echo/test/")
    page.get_by_role("link", name="Run WebSocket").click()
    expect(page.locator("#replies li")).to_have_text(["hello world"])
    screenshot(page, "echo-test")


def test_index_lists_every_demo(split, open_page):
    page = open_page(split.url, "/")
    links = page.locator("#demos li > a")
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert hrefs == [
        "/echo/test/", "/chat/", "/chat/lobby/", "/letters/", "/notifications/", "/jwt/",
        "/live/", "/console/?path=/cbc/chat/", "/console/?path=/json/", "/progress/", "/terminal/",
        "/accounts/login/", "/admin/",
    ]
    expect(page.get_by_role("link", name="sign up").first).to_have_attribute(
        "href", "/accounts/signup/")
    screenshot(page, "index")

    page.get_by_label("room name").fill("picked-room")
    page.get_by_role("button", name="join").click()
    page.wait_for_url("**/chat/picked-room/")
    wait_open(page)


def test_bad_room_name_page_is_404(split, browser):
    context = browser.new_context(base_url=split.url)
    try:
        response = context.new_page().goto("/chat/no%20spaces/")
        assert response.status == 404
    finally:
        context.close()


@pytest.mark.parametrize("path, heading", [
    ("/letters/", "Letters"),
    ("/notifications/", "Notifications"),
    ("/jwt/", "JWT"),
    ("/live/", "Live data"),
    ("/progress/", "Progress"),
    ("/console/", "Socket console"),
])
def test_other_demo_pages_render_with_their_scripts(split, open_page, path, heading):
    """Pages whose sockets other features serve: they load, styled, with the shared client.

    ``ReconnectingSocket`` being defined proves /static/ is served through the
    split (runworker's StaticFilesConsumer, DEBUG on).
    """
    page = open_page(split.url, path)
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    assert page.evaluate("typeof window.ReconnectingSocket") == "function"
    assert page.evaluate("getComputedStyle(document.body).margin") == "0px"
    screenshot(page, "page-" + path.strip("/"))
