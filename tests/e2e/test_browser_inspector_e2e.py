"""The inspector page in a real browser: a staff member watches one room message cross the split.

A second person (another browser context) chats in a room; the staff
member's sequence view draws the lanes (browser, daphne, Redis, the
workers) and the hops of that message, from the frame daphne queued to the
reply daphne wrote to the socket. Screenshot: inspector-sequence.png.
"""
import time
import uuid

from tests.support.pages import expect, say, screenshot, unique_room, wait_open


PASSWORD = "inspector browser pass"


def staff_user(split):
    username = "watcher_%s" % uuid.uuid4().hex[:6]
    split.manage("shell", "-c",
                 "from django.contrib.auth.models import User; "
                 "User.objects.create_user(%r, password=%r, is_staff=True)" % (username, PASSWORD))
    return username


def until_every_process_reports(page, split, ws, timeout=30):
    """Echo until the page's table has shown events of daphne and of every worker.

    Each process notices an open inspector on its own next poll; until it
    has, the events of a message it handles are missing from the view.
    """
    processes = page.locator("#events tr td:nth-child(2)")
    deadline = time.monotonic() + timeout
    while True:
        seen = set(processes.all_text_contents())
        workers = {name for name in seen if name.startswith("worker ")}
        if len(workers) >= len(split.workers) and any(name.startswith("daphne ") for name in seen):
            return
        assert time.monotonic() < deadline, "only %s reported" % sorted(seen)
        probe = ws("/echo/")
        probe.send("warm-up")
        assert probe.recv() == "warm-up"
        probe.close()
        page.wait_for_timeout(300)


def test_sequence_view_draws_one_room_message(split, open_page, ws):
    page = open_page(split.url, "/accounts/login/?next=/inspector/")
    page.get_by_label("Username").fill(staff_user(split))
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    wait_open(page)
    expect(page.locator("#relay")).to_have_attribute("data-attached", "yes")
    until_every_process_reports(page, split, ws)

    room = unique_room("seq")
    chat = open_page(split.url, "/chat/%s/" % room)
    wait_open(chat)
    page.get_by_role("button", name="Clear").click()  # the page load and connect: not this test's
    say(chat, "watch me travel")

    sequence = page.locator("#sequence")
    for lane in ("browser", "daphne", "Redis", "worker 1"):
        expect(sequence.locator('g.lane-head[data-lane="%s"]' % lane)).to_have_count(1)
    expect(sequence.locator("g.hop", has_text="consumers.rooms.receive")).to_have_count(1)
    group_send = "group_send room-%s (1 member)" % room
    expect(sequence.locator("g.hop", has_text=group_send)).to_have_count(1)
    # The reply daphne took off its response channel, on its way to the browser.
    expect(sequence.locator("g.hop.browser", has_text="watch me travel")).to_have_count(2)
    expect(page.locator('#events tr[data-op="group_send"]')).to_have_count(1)
    screenshot(page, "inspector-sequence")

    # Filtered to the room's group, only its group operations and member sends remain.
    page.get_by_label("filter by group").fill("room-" + room)
    expect(page.locator('#events tr[data-op="receive"]')).to_have_count(0)
    expect(page.locator('#events tr[data-op="group_send"]')).to_have_count(1)
    expect(page.locator("#events tr")).to_have_count(2)  # the group send and its one member send


def test_the_inspector_is_readable_at_1100_px(split, browser):
    context = browser.new_context(base_url=split.url, viewport={"width": 1100, "height": 800})
    try:
        page = context.new_page()
        page.goto("/accounts/login/?next=/inspector/")
        page.get_by_label("Username").fill(staff_user(split))
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        wait_open(page)
        expect(page.locator("#relay")).to_have_attribute("data-attached", "yes")
        chat = context.new_page()
        chat.goto("/chat/%s/" % unique_room("narrow"))
        wait_open(chat)
        say(chat, "a message with several words in it to read")
        expect(page.locator('#events tr[data-op="group_send"]')).to_have_count(1)
        layout = page.evaluate("""() => {
            const box = document.querySelector('.events-box');
            const content = document.querySelector('#events td.content');
            const svg = document.querySelector('#sequence').getBoundingClientRect();
            const heads = [...document.querySelectorAll('#sequence g.lane-head')].map(head => {
                const r = head.getBoundingClientRect();
                return r.left >= svg.left - 1 && r.right <= svg.right + 1;
            });
            const hops = [...document.querySelectorAll('#sequence g.hop > text')];
            const unlabelled = hops.filter(label => !label.textContent.trim()).length;
            const width = document.querySelector('#sequence').getAttribute('width');
            const cut = hops.filter(label => label.getBBox().x + label.getBBox().width > width)
                .map(label => label.textContent);
            return {table: box.scrollWidth, box: box.clientWidth,
                    content: content.getBoundingClientRect().width,
                    heads: heads, unlabelled: unlabelled, cut: cut};
        }""")
        page.screenshot(path="test-artifacts/screenshots/inspector-1100.png", full_page=True)
        assert layout["table"] <= layout["box"], layout
        assert layout["content"] >= 250, layout  # a readable column, not a word per line
        assert layout["heads"] and all(layout["heads"]), layout
        assert layout["unlabelled"] == 0, layout
        assert layout["cut"] == [], layout
    finally:
        context.close()
