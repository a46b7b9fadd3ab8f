"""The room page's presence list in Chromium, against the real split.

Two people log in through the login page and open one room: each page lists
both, a second tab of one of them changes nothing, closing it says nothing,
and closing the last one says that person left. An anonymous visitor shows as
a guest, never by a name.
"""
import time
import uuid

from channels_kit.layer import RedisChannelLayer
from channels_kit.presence.stores import RedisPresence
from tests.support.pages import expect, line_from, say, screenshot, unique_room, wait_open
from tests.support.people import account, log_in, visit


def present(page):
    return page.locator("#present li")


def news(page, text):
    """The feed's lines that say someone came or went, and what."""
    return page.locator("#messages li.presence").filter(has_text=text)


def counted(split, room):
    """How many sockets Redis counts as present in ``room``."""
    return len(RedisPresence(RedisChannelLayer(hosts=split.redis_urls)).present("room-" + room)[1])


def test_room_page_lists_who_is_here_and_says_who_left(split, person):
    room = unique_room("here")
    path = "/chat/%s/" % room
    alice, bob = account(split, "alice"), account(split, "bob")
    alice_person, bob_person = person(), person()
    alice_page = log_in(alice_person, alice, path)
    wait_open(alice_page)
    expect(present(alice_page)).to_have_text([alice])
    bob_page = log_in(bob_person, bob, path)
    wait_open(bob_page)
    both = sorted([alice, bob])
    expect(present(bob_page)).to_have_text(both)
    expect(present(alice_page)).to_have_text(both)
    expect(news(alice_page, "joined the room").locator(".user")).to_have_text([bob])

    second_tab = visit(alice_person, path)
    wait_open(second_tab)
    expect(present(second_tab)).to_have_text(both)
    second_tab.close()
    wait_for_count(split, room, 2)  # alice's first tab and bob's
    marker = "after one tab closed %s" % uuid.uuid4().hex[:6]
    say(bob_page, marker)
    expect(line_from(bob_page, bob, marker)).to_be_visible()
    expect(present(bob_page)).to_have_text(both)
    expect(bob_page.locator("#messages li.presence")).to_have_count(0)

    guest_page = visit(person(), path)
    wait_open(guest_page)
    expect(bob_page.locator("#guests")).to_have_text("1 guest")
    expect(present(guest_page)).to_have_text(both)
    screenshot(bob_page, "room-presence")

    alice_page.close()
    expect(present(bob_page)).to_have_text([bob])
    expect(news(bob_page, "left the room").locator(".user")).to_have_text([alice])
    expect(present(guest_page)).to_have_text([bob])


def wait_for_count(split, room, count):
    """Poll Redis until ``count`` sockets are present in ``room`` (the pages' own wait)."""
    deadline = time.monotonic() + 20
    while counted(split, room) != count:
        assert time.monotonic() < deadline, "not %d present in %s" % (count, room)
        time.sleep(0.2)
