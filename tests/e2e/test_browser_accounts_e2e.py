"""The per-user pages in a real browser: notifications, letters, JWT, sign-up.

The same Chromium and real split as test_browser_pages_e2e.py, but these pages need
people with accounts: each person is a browser context (its own cookie jar),
logged in through the login page, or signing up through the sign-up form, as
they would by hand. Users are created over HTTP with the sign-up view
(tests/support/browser.py), not from a shell, so the users the pages see are the ones
the site itself made.

Negatives ("the other user does not see it") are proved with a later
marker: the marker reaches the other page through its own reply channel, and
a reply channel delivers in order, so once the marker is shown anything sent
to that page before it would be shown too.
"""
import re
import uuid

from tests.support.pages import (
    expect,
    line_from,
    say,
    screenshot,
    state_of,
    unique_room,
    wait_open,
)
from tests.support.people import JWT, PASSWORD, account, log_in, new_name, visit


# Longer than the first retry could take (0.25-0.5 s), so a page that
# retried a refused socket would have opened a second one by then.
NO_RETRY_MS = 3000
# toLocaleTimeString's clock time (Chromium's default en-US: 12:34:56 PM).
CLOCK = re.compile(r"^\d{1,2}:\d{2}:\d{2}")


def expect_refused(page, context, code, error):
    """The badge says closed with ``code`` and ``error``, and stays so: no second socket."""
    badge = state_of(page)
    expect(badge).to_have_attribute("data-state", "closed")
    expect(badge).to_contain_text(str(code))
    expect(badge).to_contain_text(error)
    # One line, the server's error: no "connection lost" line, no second refusal.
    expect(page.locator("#messages li")).to_have_text([re.compile(error)])
    expect(page.locator("#messages li.error .user")).to_have_text([error])
    expect(page.get_by_label("message")).to_be_disabled()
    expect(page.get_by_role("button", name="Send")).to_be_disabled()
    opened = len(context.sockets)
    page.wait_for_timeout(NO_RETRY_MS)
    expect(badge).to_have_attribute("data-state", "closed")
    assert len(context.sockets) == opened, "the page retried a refused socket"


def test_notifications_reach_all_tabs_of_one_user_and_no_one_else(split, person):
    ada, bob = account(split, "ada"), account(split, "bob")
    ada_browser = person()
    first = log_in(ada_browser, ada, "/notifications/")
    second = visit(ada_browser, "/notifications/")
    bob_page = log_in(person(), bob, "/notifications/")
    for page in (first, second, bob_page):
        wait_open(page)

    note = "note for my tabs %s" % uuid.uuid4().hex[:6]
    say(first, note)
    for page in (first, second):
        line = line_from(page, ada, note)
        expect(line).to_be_visible()
        # The server's time, shown as a local clock time like 12:34:56.
        assert line.locator("time").get_attribute("datetime").endswith("Z")
        expect(line.locator("time")).to_have_text(CLOCK)

    marker = "bob's own marker %s" % uuid.uuid4().hex[:6]
    say(bob_page, marker)
    expect(line_from(bob_page, bob, marker)).to_be_visible()
    expect(bob_page.locator("#messages")).not_to_contain_text(note)
    expect(first.locator("#messages")).not_to_contain_text(marker)
    screenshot(first, "notifications-first-tab")
    screenshot(second, "notifications-second-tab")
    screenshot(bob_page, "notifications-other-user")


def test_notifications_page_refuses_anonymous_visitor_and_does_not_retry(split, person):
    visitor, later = person(), account(split, "late")
    page = visit(visitor, "/notifications/")
    expect_refused(page, visitor, 4201, "login-required")
    expect(state_of(page)).to_have_text("closed (4201: login-required)")
    login = page.locator("#messages li.error a")
    expect(login).to_have_text("Log in")
    screenshot(page, "notifications-anonymous")
    login.click()
    page.get_by_label("Username").fill(later)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/notifications/$"))
    expect(state_of(page)).to_have_attribute("data-state", "open")


def test_letters_page_joins_users_by_first_letter(split, person):
    quill, quartz, zeta = account(split, "quill"), account(split, "Quartz"), account(split, "zeta")
    quill_page = log_in(person(), quill, "/letters/")
    quartz_page = log_in(person(), quartz, "/letters/")
    zeta_page = log_in(person(), zeta, "/letters/")
    for page in (quill_page, quartz_page, zeta_page):
        wait_open(page)

    hello = "hello q people %s" % uuid.uuid4().hex[:6]
    say(quill_page, hello)
    expect(line_from(quartz_page, quill, hello)).to_be_visible()
    reply = "a Q answers %s" % uuid.uuid4().hex[:6]
    say(quartz_page, reply)
    expect(line_from(quill_page, quartz, reply)).to_be_visible()

    marker = "z marker %s" % uuid.uuid4().hex[:6]
    say(zeta_page, marker)
    expect(line_from(zeta_page, zeta, marker)).to_be_visible()
    expect(zeta_page.locator("#messages")).not_to_contain_text(hello)
    expect(zeta_page.locator("#messages")).not_to_contain_text(reply)
    screenshot(quill_page, "letters-q-user")
    screenshot(zeta_page, "letters-z-user")


def tampered(token):
    """The same header and payload under a signature that is not the server's."""
    header, payload, signature = token.split(".")
    changed = "AAAA" if not signature.endswith("AAAA") else "BBBB"
    return ".".join([header, payload, signature[:-4] + changed])


def test_jwt_page_gets_a_token_and_chats_as_its_user(split, person):
    username = account(split, "jwt")
    room = unique_room("jwt")
    # No login: the token alone says who this is.
    visitor = person()
    page = visit(visitor, "/jwt/")
    join = page.get_by_role("button", name="Join with token")
    expect(join).to_be_disabled()

    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Get token").click()
    expect(page.locator("#token-status")).to_contain_text(
        "Unable to log in with provided credentials.")
    expect(join).to_be_disabled()

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Get token").click()
    expect(page.locator("#token-status")).to_contain_text("Token valid until")
    token_field = page.get_by_label("Token", exact=True)
    expect(token_field).to_have_value(JWT)
    page.get_by_label("room name").fill(room)
    join.click()
    wait_open(page)
    onlooker = visit(person(), "/chat/%s/" % room)
    wait_open(onlooker)

    text = "signed by my token %s" % uuid.uuid4().hex[:6]
    say(page, text)
    expect(line_from(page, username, text)).to_be_visible()
    expect(line_from(onlooker, username, text)).to_be_visible()
    screenshot(page, "jwt-joined")


def test_jwt_page_shows_a_bad_token_refusal_without_retrying(split, person):
    username = account(split, "jwtbad")
    visitor = person()
    page = visit(visitor, "/jwt/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Get token").click()
    token_field = page.get_by_label("Token", exact=True)
    expect(token_field).to_have_value(JWT)

    # A person pastes a token that is not the server's.
    token_field.fill(tampered(token_field.input_value()))
    page.get_by_label("room name").fill(unique_room("jwtbad"))
    page.get_by_role("button", name="Join with token").click()
    expect_refused(page, visitor, 4302, "token-bad-signature")
    screenshot(page, "jwt-bad-token")


def test_sign_up_logs_in_and_room_shows_the_new_name(split, person):
    username = new_name("newbie")
    newcomer = person()
    page = visit(newcomer, "/accounts/signup/")
    page.get_by_label("Username").fill(username)
    page.get_by_label(re.compile(r"^Password:?$")).fill(PASSWORD)
    page.get_by_label("Password confirmation").fill(PASSWORD + " typo")
    page.get_by_role("button", name="Sign up").click()
    # Django 5 writes the apostrophe as U+2019, 2.2 as '.
    expect(page.locator(".errorlist")).to_contain_text(re.compile("didn[\u2019']t match"))
    expect(page.locator("#username")).to_have_count(0)

    page.get_by_label(re.compile(r"^Password:?$")).fill(PASSWORD)
    page.get_by_label("Password confirmation").fill(PASSWORD)
    screenshot(page, "signup-form-after-a-typo")
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_url(split.url + "/")
    expect(page.locator("#username")).to_have_text(username)
    screenshot(page, "signup-landed")

    room = unique_room("newbie")
    room_page = visit(newcomer, "/chat/%s/" % room)
    onlooker = visit(person(), "/chat/%s/" % room)
    wait_open(room_page)
    wait_open(onlooker)
    text = "my first words %s" % uuid.uuid4().hex[:6]
    say(room_page, text)
    expect(line_from(room_page, username, text)).to_be_visible()
    expect(line_from(onlooker, username, text)).to_be_visible()
    screenshot(room_page, "signup-room")
