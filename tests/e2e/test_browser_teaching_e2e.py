"""The teaching path in Chromium at 1100 px: each screen loads, and shows what its step says to observe.

docs/teaching.md runs a class in two windows: a staff member on
``/inspector/`` and a lessons window whose developer console pastes the
page's ``open_`` helper and runs each step's command. This walk does the
same, on the classroom split (``LESSONS=1``), with the helper and the
commands as the doc prints them: the console logs what the step predicts,
and the inspector's table shows the rows the step names. Lessons 6 and 7
(hundreds of lines; waiters that give up after seconds) are covered by
their own e2e tests, not walked here. Screenshots: teaching-*.png.
"""
import re
import time
from pathlib import Path

import pytest

from tests.support.fit import fit_problems
from tests.support.lessons import split  # noqa: F401 (the classroom split, for this module)
from tests.support.pages import WAIT_MS, expect, screenshot, wait_open
from tests.support.paths import ROOT
from tests.support.people import PASSWORD, staff_account

LAPTOP = {"width": 1100, "height": 800}
TEACHING = (Path(ROOT) / "docs" / "teaching.md").read_text()


def doc_helper(split):
    """The ``open_`` helper of docs/teaching.md, aimed at this split instead of localhost:8000."""
    helper = re.search(r"```js\n(function open_\(.*?)```", TEACHING, re.S).group(1)
    assert "ws://localhost:8000" in helper
    return helper.replace("ws://localhost:8000", split.ws_url)


def doc_commands(step):
    """The ``open_(...)`` commands the doc gives for ``step`` (its section's text), in order."""
    section = re.search(r"^## %s\..*?(?=^## )" % step, TEACHING, re.S | re.M).group(0)
    return re.findall(r"`([a-z]\w* = open_\(.*?\))`|`(open_\(.*?\))`", section)


class Console:
    """The lessons window: a page whose console runs the doc's commands and keeps what they log."""

    def __init__(self, page, helper):
        self.page, self.lines = page, []
        page.on("console", lambda message: self.lines.append(message.text))
        page.evaluate("() => { %s; window.open_ = open_; }" % helper)

    def run(self, line):
        """Run a console line; ``x = ...`` keeps ``x`` for later lines, as a console does."""
        for command in line.split("; "):
            name, assigned, value = command.partition(" = ")
            if assigned and re.match(r"^[a-z]\w*$", name):
                self.page.evaluate("() => { window.%s = %s; }" % (name, value))
            else:
                self.page.evaluate("() => { %s; }" % command)

    def when_open(self, name):
        self.page.wait_for_function("() => window.%s && window.%s.readyState === 1" % (name, name))

    def heard(self, pattern, count=1, timeout=WAIT_MS / 1000):
        """Wait until the console logged ``count`` lines matching ``pattern``; those lines."""
        deadline = time.monotonic() + timeout
        while True:
            found = [line for line in self.lines if re.search(pattern, line)]
            if len(found) >= count:
                return found
            assert time.monotonic() < deadline, "console: %r not logged %d times in %s" % (
                pattern, count, self.lines[-20:])
            self.page.wait_for_timeout(100)


def rows(inspector, op=None, text=None):
    selector = '#events tr[data-op="%s"]' % op if op else "#events tr"
    return inspector.locator(selector, has_text=text) if text else inspector.locator(selector)


@pytest.fixture(scope="module")
def classroom(split, browser):
    """The two windows: staff on the inspector, every process reporting; the lessons window."""
    staff = browser.new_context(base_url=split.url, viewport=LAPTOP)
    lessons = browser.new_context(base_url=split.url, viewport=LAPTOP)
    for context in (staff, lessons):
        context.set_default_timeout(WAIT_MS)
    try:
        inspector = staff.new_page()
        inspector.goto("/accounts/login/?next=/inspector/")
        inspector.get_by_label("Username").fill(staff_account(split, "teacher"))
        inspector.get_by_label("Password").fill(PASSWORD)
        inspector.get_by_role("button", name="Log in").click()
        wait_open(inspector)
        expect(inspector.locator("#relay")).to_have_attribute("data-attached", "yes")
        window = lessons.new_page()
        response = window.goto("/")
        assert response.status == 200
        console = Console(window, doc_helper(split))
        # Each process notices the open inspector on its own next poll: echo until all have.
        deadline = time.monotonic() + 60
        while len({name for name in inspector.locator("#events tr td:nth-child(2)").all_text_contents()
                   if name.startswith(("worker ", "daphne "))}) < len(split.workers) + 1:
            assert time.monotonic() < deadline, "not every process reports to the inspector"
            console.run('open_("/echo/", "warm-up").onmessage = function () { this.close(); }')
            inspector.wait_for_timeout(300)
        yield inspector, console
    finally:
        staff.close()
        lessons.close()


@pytest.fixture
def inspector(classroom):
    """The inspector, cleared of what earlier steps showed."""
    page = classroom[0]
    page.get_by_role("button", name="Clear").click()
    return page


@pytest.fixture
def console(classroom):
    return classroom[1]


def test_step_1_one_echo_is_a_connect_an_accept_and_a_frame_each_way(inspector, console):
    (command, _), = doc_commands(1)
    console.run(command)
    console.heard(r"^/lessons/1-echo/ hi$")
    expect(rows(inspector, "send", "websocket.connect").filter(has_text="/lessons/1-echo/")).to_have_count(1)
    expect(rows(inspector, "receive", "consumers.lessons.echo.connect")).to_have_count(1)
    expect(rows(inspector, "send", '{"accept":true}').first).to_be_visible()
    expect(rows(inspector, "receive", "consumers.lessons.echo.receive").filter(has_text='"text":"hi"')).to_have_count(1)
    screenshot(inspector, "teaching-1-echo")


def test_step_2_a_group_send_reaches_every_member(inspector, console):
    commands = [c for pair in doc_commands(2) for c in pair if c]
    for command in commands:
        console.run(command)
    console.when_open("b")
    console.run('b.send("hello all")')
    console.heard(r"^/lessons/2-groups/ hello all$", count=2)
    expect(rows(inspector, "group_send").filter(has=inspector.locator("td:nth-child(5)",
                                                                        has_text=re.compile("^2$")))).to_have_count(1)
    expect(rows(inspector, "group_add")).to_have_count(2)
    screenshot(inspector, "teaching-2-groups")


def test_step_3_a_progress_run_sends_ten_steps(inspector, console):
    (command, _), = doc_commands(3)
    console.run(command)
    console.heard(r'^/progress/ .*"of": 10', count=10)
    expect(rows(inspector, "receive", "consumers.progress.receive")).to_have_count(1)
    screenshot(inspector, "teaching-3-progress")


def test_step_4_every_frame_knows_the_name_connect_stored(inspector, console):
    (command, _), = doc_commands(4)
    console.run(command)
    answers = console.heard(r'^/lessons/3-sessions/\?name=ada .*"name": "ada"', count=2)
    assert {re.search(r'"text": "(\w+)"', line).group(1) for line in answers} == {"one", "two"}


def test_step_5_unordered_connect_leaves_the_frames_parked(inspector, console):
    broken, _ = doc_commands(5)[0]
    console.run(broken)
    expect(rows(inspector, "park", "__wait__.")).to_have_count(2)
    inspector.wait_for_timeout(1000)  # a requeue would follow a park at once; none may come
    expect(rows(inspector, "requeue")).to_have_count(0)
    screenshot(inspector, "teaching-5-parked")
    console.run(broken.replace("o = ", "fixed = ").replace("/broken/", "/"))
    console.heard(r'^/lessons/4-ordering/ .*"frame": 2')


def test_step_9_a_refusal_during_the_handshake_tells_the_client_nothing(inspector, console):
    (_, broken), (_, fixed) = doc_commands(9)
    console.run(broken)
    console.heard(r"^/lessons/8-refusing/broken/\?room=no%20spaces closed 1006")
    console.run(fixed)
    console.heard(r'^/lessons/8-refusing/\?room=no%20spaces .*invalid-room')
    console.heard(r"^/lessons/8-refusing/\?room=no%20spaces closed 4100")
    expect(rows(inspector, "send", '"close":4100')).to_have_count(1)


def test_a_step_recorded_from_the_inspector_replays_from_its_trace(inspector, console):
    inspector.get_by_role("button", name="Record").click()
    console.run('e = open_("/lessons/1-echo/", "recorded")')
    console.heard(r"^/lessons/1-echo/ recorded$")
    expect(rows(inspector, "receive", "consumers.lessons.echo.receive")).to_have_count(1)
    inspector.get_by_role("button", name=re.compile(r"^Stop recording")).click()
    inspector.get_by_label("trace name").fill("echo-from-page")
    inspector.get_by_role("button", name="Save trace").click()
    inspector.get_by_role("link", name="saved: replay echo-from-page").click()
    expect(inspector.locator("#position")).to_contain_text("step 1 of")  # the script has run
    inspector.keyboard.press("End")
    replayed = inspector.locator("#sequence g.hop", has_text="consumers.lessons.echo.receive")
    expect(replayed).to_have_count(1)
    assert fit_problems(inspector) == []
    screenshot(inspector, "teaching-replay-1100")
    inspector.go_back()
    wait_open(inspector)


def test_the_inspector_fits_a_narrow_laptop_after_the_walk(classroom):
    inspector = classroom[0]
    assert fit_problems(inspector) == []
    screenshot(inspector, "teaching-inspector-1100")
