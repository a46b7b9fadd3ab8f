"""Every page, as a newcomer meets it: three kinds of visitor.

An anonymous visitor, a user who just signed up and a staff user each follow
every link the index offers (plus the pages reached from those: the sign-up
form, a bad room link, the admin), in real Chromium against the real split
as ``./run`` starts it from a fresh clone (the suite's split runs on a new
database). No page may be a dead end: no Django debug page, no server error,
and every page that opens a WebSocket shows its connection state, settled
(not stuck on "connecting"). Every page comes with the site's
Content-Security-Policy and breaks none of it. One screenshot per page and visitor goes to
test-artifacts/screenshots/walk-*.
"""
import re
import uuid

import pytest

from tests.support.pages import WAIT_MS, expect, screenshot, state_of
from tests.support.people import PASSWORD, staff_account


# Reached from the pages rather than listed on the index.
EXTRA_PATHS = ["/accounts/signup/", "/console/", "/inspector/", "/inspector/traces/", "/chat/bad%20name!/", "/admin/", "/health/"]
# What Django shows under DEBUG instead of a page a person can use.
DEBUG_PAGE = re.compile(r"Using the URLconf|Traceback|You're seeing this error because you have "
                        r"<code>DEBUG = True</code>|Server Error \(500\)")
SETTLED = re.compile(r"^(open|closed|idle)$")
# Staff tools: a signed-in user who is not staff gets a page saying so (403),
# with the way back, rather than the tool.
STAFF_ONLY = ("/terminal/", "/inspector/")
# Counts the WebSockets a page creates. Page scripts run before the load event
# that goto() waits for, so the count is complete when goto() returns (the
# "websocket" event of Playwright may come later).
COUNT_SOCKETS = """
window.WebSocket = new Proxy(window.WebSocket, {
  construct(target, args) {
    window.socketsOpened = (window.socketsOpened || 0) + 1;
    return new target(...args);
  },
});
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", event => {
  window.cspViolations.push(event.violatedDirective + " " + event.blockedURI);
});
"""


def index_links(page):
    """Every same-site link on the index (demos and header), in order, once each."""
    hrefs = page.locator("a[href^='/']").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    return list(dict.fromkeys(hrefs))


def slug(path):
    return re.sub(r"[^A-Za-z0-9]+", "-", path).strip("-") or "index"


def check_page(page, role, path):
    """Visit ``path``; fail on a dead end; return whether it opened a WebSocket."""
    response = page.goto(path)
    expected = 404 if path.startswith("/chat/bad") else 200
    if role == "user" and path.startswith(STAFF_ONLY):
        expected = 403
        expect(page.locator("main")).to_contain_text("Staff only")
        expect(page.get_by_role("button", name="log in as a staff user")).to_be_visible()
    assert response.status == expected, "%s as %s answered %s" % (path, role, response.status)
    assert not DEBUG_PAGE.search(page.content()), "%s as %s is a debug/error page" % (path, role)
    assert "script-src 'self'" in response.headers.get("content-security-policy", ""), path
    assert response.headers.get("x-content-type-options") == "nosniff", path
    sockets = page.evaluate("window.socketsOpened || 0")
    if sockets:
        badge = state_of(page)
        expect(badge).to_be_visible()
        expect(badge).to_have_attribute("data-state", SETTLED)
        expect(badge).not_to_have_text("")
    if page.locator("main").count():
        expect(page.locator("main")).not_to_be_empty()
    assert page.evaluate("window.cspViolations") == [], "%s as %s broke the CSP" % (path, role)
    screenshot(page, "walk-%s-%s" % (role, slug(path)))
    return sockets > 0


def sign_up(context):
    """A new user, through the sign-up page as a person would; lands signed in."""
    username = "walker_%s" % uuid.uuid4().hex[:6]
    page = context.new_page()
    page.goto("/accounts/signup/")
    page.get_by_label("Username").fill(username)
    page.get_by_label(re.compile(r"^Password:?$")).fill(PASSWORD)
    page.get_by_label("Password confirmation").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page.locator("#username")).to_have_text(username)
    page.close()


def log_in(context, username):
    page = context.new_page()
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#username")).to_have_text(username)
    page.close()


@pytest.mark.parametrize("role", ["anonymous", "user", "staff"])
def test_every_page_is_usable_and_shows_its_connection_state(split, browser, role):
    context = browser.new_context(base_url=split.url)
    context.set_default_timeout(WAIT_MS)
    context.add_init_script(COUNT_SOCKETS)
    try:
        if role == "user":
            sign_up(context)
        elif role == "staff":
            log_in(context, staff_account(split, "walkstaff", superuser=True))
        page = context.new_page()
        page.goto("/")
        paths = index_links(page) + EXTRA_PATHS
        if role == "staff":
            assert "/admin/" in paths[:3], "the header links the admin for staff"
            paths.append("/admin/channels_example/livevalue/")
        with_sockets = [path for path in dict.fromkeys(paths) if check_page(page, role, path)]
        # The demos open their sockets on load (echo and console wait for a click or a path).
        assert {"/chat/", "/chat/lobby/", "/letters/", "/notifications/", "/live/",
                "/progress/"} <= set(with_sockets)
        if role != "anonymous":
            # Logging out (the header's form: a POST, as Django 5 requires) ends the visit.
            page.goto("/")
            page.get_by_role("button", name="log out").click()
            expect(page.locator("header.site")).to_contain_text("log in")
    finally:
        context.close()


# A phone's width (CSS pixels) and a narrow laptop's.
NARROW = {"phone": {"width": 390, "height": 844}, "laptop": {"width": 1100, "height": 800}}


@pytest.mark.parametrize("size", sorted(NARROW))
def test_every_page_fits_the_width_of_a_phone_and_a_narrow_laptop(split, browser, size):
    """No page is wider than the window: nothing to scroll sideways to read or to reach."""
    context = browser.new_context(base_url=split.url, viewport=NARROW[size])
    context.set_default_timeout(WAIT_MS)
    try:
        log_in(context, staff_account(split, "narrow%s" % size, superuser=True))
        page = context.new_page()
        page.goto("/")
        too_wide = {}
        for path in dict.fromkeys(index_links(page) + EXTRA_PATHS + ["/inspector/"]):
            page.goto(path)
            width = page.evaluate("() => document.documentElement.scrollWidth")
            if width > NARROW[size]["width"]:
                too_wide[path] = width
            screenshot(page, "%s-%s" % (size, slug(path)))
        assert too_wide == {}, "pages wider than %d px: %s" % (NARROW[size]["width"], too_wide)
    finally:
        context.close()
