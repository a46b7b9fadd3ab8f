"""What a newcomer meets in the first hour, in real Chromium against the real split.

Each test is one stumble a new user made by hand: a room name the browser
should have refused, a line too long for the socket, a Send button offered
before there is a socket, a Save form offered to someone who may not save.
"""
import re
import uuid

from tests.support.pages import expect, line_from, say, screenshot, state_of, unique_room, wait_open
from tests.support.people import JWT, PASSWORD, account, log_in, staff_account, visit


# --- Room names ----------------------------------------------------------------

def test_index_refuses_a_bad_room_name_and_says_why(split, person):
    page = visit(person(), "/")
    field = page.get_by_label("room name")
    field.fill("bad name!")
    field.press("Enter")
    reason = page.locator("#room-error")
    expect(reason).to_be_visible()
    expect(reason).to_contain_text("1 to 64 letters, digits, _ or -")
    # Chromium compiled the pattern (an invalid one is ignored: no mismatch).
    assert field.evaluate("input => input.validity.patternMismatch") is True
    assert page.url == split.url + "/"
    screenshot(page, "index-bad-room-name")

    field.fill("good-name_1")
    expect(reason).to_be_hidden()
    field.press("Enter")
    page.wait_for_url("**/chat/good-name_1/")
    wait_open(page)


def test_a_bad_room_url_explains_the_rule_instead_of_a_debug_page(split, person):
    page = person().new_page()
    response = page.goto("/chat/bad%20name!/")
    assert response.status == 404
    expect(page.locator("h1")).to_have_text("No room called “bad name!”")
    expect(page.locator("main")).to_contain_text("1 to 64 letters, digits, _ or -")
    expect(page.get_by_text("Using the URLconf")).to_have_count(0)
    screenshot(page, "bad-room-url")
    page.get_by_label("room name").fill("lobby")
    page.get_by_role("button", name="join").click()
    page.wait_for_url("**/chat/lobby/")
    wait_open(page)


def test_jwt_page_room_field_uses_the_same_working_pattern(split, person):
    page = visit(person(), "/jwt/")
    field = page.get_by_label("room name")
    field.fill("no spaces here")
    assert field.evaluate("input => input.validity.patternMismatch") is True
    field.fill("x" * 64)
    assert field.evaluate("input => input.validity.valid") is True


# --- Frames over the limit, long lines ----------------------------------------

def test_an_over_long_line_is_refused_by_the_page_and_the_socket_stays_open(split, person):
    page = visit(person(), "/chat/%s/" % unique_room("long"))
    wait_open(page)
    limit = int(page.locator("body").get_attribute("data-max-frame"))
    box = page.get_by_label("message")
    too_long = "y" * (limit + 1)
    box.fill(too_long)
    box.press("Enter")
    refusal = page.locator("#messages li.error")
    expect(refusal).to_contain_text("at most %d" % limit)
    expect(box).to_have_value(too_long)
    page.wait_for_timeout(1000)  # a sent frame would have closed the socket (4501) by now
    expect(state_of(page)).to_have_attribute("data-state", "open")
    say(page, "still connected")
    expect(line_from(page, "anonymous", "still connected")).to_be_visible()


def test_a_long_unbroken_line_wraps_inside_the_message_list(split, person):
    page = visit(person(), "/chat/%s/" % unique_room("wrap"))
    wait_open(page)
    say(page, "w" * 3000)
    line = page.locator("#messages li.message .text")
    expect(line).to_have_count(1)
    widths = page.locator("#messages").evaluate(
        "list => ({scroll: list.scrollWidth, client: list.clientWidth})")
    assert widths["scroll"] <= widths["client"], widths
    screenshot(page, "long-line-wrapped")


# --- /jwt/: Send only while the socket is open ---------------------------------

def test_jwt_page_offers_send_only_while_its_socket_is_open(split, person):
    username = account(split, "jwtsend")
    page = visit(person(), "/jwt/")
    send = page.get_by_role("button", name="Send")
    expect(send).to_be_disabled()
    expect(page.get_by_label("message")).to_be_disabled()

    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Get token").click()
    expect(page.get_by_label("Token", exact=True)).to_have_value(JWT)
    expect(send).to_be_disabled()
    page.get_by_label("room name").fill(unique_room("jwtsend"))
    page.get_by_role("button", name="Join with token").click()
    wait_open(page)
    expect(send).to_be_enabled()

    # A token that is refused: the socket closes, and Send goes with it.
    page.get_by_label("Token", exact=True).fill("not-a-jwt")
    page.get_by_role("button", name="Join with token").click()
    expect(state_of(page)).to_have_attribute("data-state", "closed")
    expect(state_of(page)).to_have_text("closed (4301: token-malformed)")
    expect(state_of(page)).to_have_attribute("title", re.compile("Not a well-formed JWT"))
    expect(page.locator("#messages li.error").last).to_contain_text("Not a well-formed JWT")
    expect(send).to_be_disabled()
    screenshot(page, "jwt-refused-send-disabled")


# --- /live/: the Save form is for staff ----------------------------------------

def test_live_save_form_is_disabled_with_a_reason_for_anonymous_and_non_staff(split, person):
    anonymous = visit(person(), "/live/")
    wait_open(anonymous)
    expect(anonymous.get_by_role("button", name="Save")).to_be_disabled()
    expect(anonymous.locator("#save-reason")).to_contain_text("Only staff can save values")
    expect(anonymous.locator("#save-reason").get_by_role("link", name="Log in")).to_be_visible()
    screenshot(anonymous, "live-anonymous")

    member = person()
    log_in(member, account(split, "liveuser"), "/live/")
    page = member.pages[-1]
    expect(page.get_by_role("button", name="Save")).to_be_disabled()
    expect(page.locator("#save-reason")).to_contain_text("is not a staff user")


def test_live_save_form_works_for_staff(split, person):
    staff = person()
    log_in(staff, staff_account(split, "livestaff"), "/live/")
    page = staff.pages[-1]
    wait_open(page)
    expect(page.locator("#save-reason")).to_have_count(0)
    name = "humidity_%s" % uuid.uuid4().hex[:6]
    page.get_by_label("name", exact=True).fill(name)
    page.get_by_label("value", exact=True).fill("40%")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#values tr").filter(has_text=name)).to_contain_text("40%")


def test_live_long_values_wrap_and_a_refusal_clears_on_the_next_good_save(split, person):
    staff = person()
    log_in(staff, staff_account(split, "livewrap"), "/live/")
    page = staff.pages[-1]
    wait_open(page)
    name = "long_%s" % uuid.uuid4().hex[:6]

    def save(name_text, value):
        page.get_by_label("name", exact=True).fill(name_text)
        page.get_by_label("value", exact=True).fill(value)
        page.get_by_role("button", name="Save").click()

    save(name, "v" * 5000)
    expect(page.locator("#values tr").filter(has_text=name)).to_contain_text("v" * 100)
    widths = page.evaluate("() => ({page: document.documentElement.scrollWidth,"
                           " view: window.innerWidth,"
                           " table: document.querySelector('table.values').scrollWidth,"
                           " card: document.querySelector('.card').clientWidth})")
    assert widths["page"] <= widths["view"], widths
    assert widths["table"] <= widths["card"], widths
    screenshot(page, "live-long-value")

    save("  ", "x")
    expect(page.locator("#live-error")).to_contain_text("invalid-binding")
    save(name, "short again")
    expect(page.locator("#values tr").filter(has_text=name)).to_contain_text("short again")
    expect(page.locator("#live-error")).to_have_text("")
