"""The terminal page in Chromium: xterm.js, typed into like a person would, against a real sshd.

A staff user logs in through the login page, opens ``/terminal/lab/`` from
the hosts page, types a command into the terminal and reads its output in
the terminal's rows; a reload reattaches to the same shell; the recording
then replays in the recordings page's player.
"""
from tests.support.pages import expect, screenshot
from tests.support.people import PASSWORD, log_in, new_name


def staff_user(split):
    username = new_name("staff")
    split.manage("shell", "-c", "from django.contrib.auth.models import User; "
                 "User.objects.create_user(%r, password=%r, is_staff=True)" % (username, PASSWORD))
    return username


def test_typing_into_the_terminal_runs_the_command(split, ssh_lab, person):
    context = person()
    username = staff_user(split)
    log_in(context, username, "/terminal/")
    page = context.pages[-1]
    page.get_by_role("link", name="lab").click()
    page.wait_for_url("**/terminal/lab/")
    expect(page.locator("#state")).to_have_attribute("data-state", "open")
    rows = page.locator("#terminal .xterm-rows")
    page.locator("#terminal").click()
    page.keyboard.type("echo $((6*7)) $((100+23))")
    page.keyboard.press("Enter")
    expect(rows).to_contain_text("42 123")
    screenshot(page, "terminal")

    # A reload reattaches to the same shell, whose earlier work is still there.
    page.reload()
    expect(page.locator("#state")).to_contain_text("reattached")
    page.locator("#terminal").click()
    page.keyboard.type("echo again $((2*21))")
    page.keyboard.press("Enter")
    expect(rows).to_contain_text("again 42")
    page.keyboard.type("exit")
    page.keyboard.press("Enter")
    expect(page.locator("#state")).to_have_attribute("data-state", "closed")

    page.goto("/terminal/recordings/")
    page.get_by_role("link", name=username + "@lab").click()
    expect(page.locator("#player .xterm-rows")).to_contain_text("42 123")
    screenshot(page, "terminal-replay")
