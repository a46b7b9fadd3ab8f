"""Driving the pages in Debian's Chromium with Playwright: shared by every browser test.

The ``browser`` and ``open_page`` fixtures live in conftest.py; these are the
steps a test takes on a page, written as a person would take them.
Chromium comes from apt (``scripts/test_tools.sh``, run by ./run-tests);
Playwright's own browser download is not used.
"""
import os
import uuid

from tests.support.paths import ARTIFACTS

SCREENSHOTS = os.path.join(ARTIFACTS, "screenshots")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
# Generous: six test suites may share two cores, and a reconnect waits out
# a backoff of up to 10 s.
WAIT_MS = 20_000
RECONNECT_MS = 60_000


def expect(locator):
    from playwright.sync_api import expect as playwright_expect
    return playwright_expect(locator)


def screenshot(page, name):
    os.makedirs(SCREENSHOTS, exist_ok=True)
    page.screenshot(path=os.path.join(SCREENSHOTS, name + ".png"), full_page=True)


def state_of(page):
    return page.locator("#state")


def wait_open(page, timeout=WAIT_MS):
    expect(state_of(page)).to_have_attribute("data-state", "open", timeout=timeout)


def say(page, text):
    """Type a line and press Enter, as a person would."""
    box = page.get_by_label("message")
    expect(box).to_be_enabled()
    box.fill(text)
    box.press("Enter")
    expect(box).to_have_value("")


def line_from(page, user, text):
    """The message line showing ``text`` from ``user``."""
    return page.locator("#messages li.message").filter(has_text=text).filter(
        has=page.locator(".user", has_text=user))


def unique_room(prefix):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:8])
