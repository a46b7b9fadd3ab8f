"""Recording a lesson with ``manage.py recordtrace`` on a real split, and replaying it in Chromium.

A signed-in student opens lesson 1 with their session cookie and a
``?token=`` in the URL, and pastes a password, a JSON Web Token and their
session key into a frame; the saved trace and the replay page show the
lesson's hops and none of those. The replay page then steps through the
trace with the keyboard, on a narrow laptop and on a projector, with
nothing too wide, nothing cut off and no text too small to read.
"""
import json
import re
import os
import signal
import subprocess
import time
import urllib.error

import pytest
import redis
import websocket

from tests.support.browser import logged_in, signed_up
from tests.support.fit import SIZES, fit_problems
from tests.support.lessons import split  # noqa: F401 (the classroom split, for this module)
from tests.support.pages import WAIT_MS, expect, screenshot
from tests.support.people import PASSWORD, staff_account

PASSWORD_TYPED = "my-secret-pass-phrase-1234"
JWT = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ1c2VyX2lkIjo0Mn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
QUERY_TOKEN = "qtok-8c1f3a9e5b"
TRACE = "lesson-1"


def stream_events(split):
    """The inspector's event stream as it is now, decoded."""
    client = redis.StrictRedis(port=split.redis_port)
    entries = client.execute_command("XRANGE", "asgi:inspector:events", "-", "+")
    return [json.loads(fields[1]) for _, fields in entries]


def seen_by_every_process(split, path):
    """Whether daphne and every worker have reported a frame on ``path`` into the stream."""
    roles = {(event["role"], event["pid"]) for event in stream_events(split)
             if (event.get("content") or {}).get("path") == path and event["op"] in ("send", "receive")}
    return any(role == "daphne" for role, _ in roles) and \
        sum(role == "worker" for role, _ in roles) >= len(split.workers)


def wait_for_line(process, text, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if text in line:
            return
        assert line or process.poll() is None, "recordtrace ended: " + process.stderr.read()
    raise AssertionError("recordtrace never said %r" % text)


@pytest.fixture(scope="module")
def recorded(split, tmp_path_factory):
    """The lesson-1 trace, recorded while a signed-in student planted secrets; its secrets."""
    student = signed_up(split, "student_trace")
    session_key = student.cookie("sessionid")
    recorder = subprocess.Popen(
        [split.python, "manage.py", "recordtrace", TRACE, "--seconds", "300"],
        cwd=split.root, env=split.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for_line(recorder, "recording")
        path = "/lessons/1-echo/"
        frame = json.dumps({"password": PASSWORD_TYPED, "text": "my token %s and key %s" % (JWT, session_key)})
        deadline = time.monotonic() + 60
        # Each process starts reporting on its own next poll: echo until all have.
        while not seen_by_every_process(split, path):
            assert time.monotonic() < deadline, "not every process reported the lesson"
            sock = websocket.create_connection(
                split.ws_url + path + "?token=" + QUERY_TOKEN, timeout=10, origin=split.url,
                cookie="sessionid=" + session_key)
            sock.send(frame)
            assert sock.recv() == frame
            sock.close()
            time.sleep(0.3)
        recorder.send_signal(signal.SIGINT)
        out, err = recorder.communicate(timeout=60)
        assert recorder.returncode == 0, err
        assert "saved to" in out, out
    finally:
        if recorder.poll() is None:
            recorder.kill()
            recorder.wait()
    with open(os.path.join(split.env["INSPECTOR_TRACES_DIR"], TRACE + ".json")) as saved:
        return {"text": saved.read(), "secrets": [PASSWORD_TYPED, JWT, QUERY_TOKEN, session_key]}


def test_the_recorded_trace_holds_the_lesson_and_no_secret(recorded):
    for secret in recorded["secrets"]:
        assert secret not in recorded["text"]
    events = json.loads(recorded["text"])["events"]
    consumers = {event.get("consumer") for event in events}
    assert {"consumers.lessons.echo.connect", "consumers.lessons.echo.receive"} <= consumers
    assert any(event["role"] == "daphne" and event["channel"] == "websocket.connect" for event in events)
    assert any(event["role"] == "worker" and event.get("content") == {"accept": True} for event in events)
    assert [event["ts"] for event in events] == sorted(event["ts"] for event in events)


def test_the_replay_page_shows_no_secret_and_is_for_staff(split, recorded):
    teacher = logged_in(split, staff_account(split, "teacher"), PASSWORD)
    body = teacher.get("/inspector/traces/%s/" % TRACE)
    assert re.search(r'<span id="position"[^>]*>\d+ steps</span>', body)
    for secret in recorded["secrets"]:
        assert secret not in body
    student = signed_up(split, "student_peek")
    with pytest.raises(urllib.error.HTTPError) as refused:
        student.get("/inspector/traces/%s/" % TRACE)
    assert refused.value.code == 403


@pytest.mark.parametrize("size", sorted(SIZES))
def test_the_replay_steps_with_the_keys_and_fits_the_window(split, browser, recorded, size):
    steps = len(json.loads(recorded["text"])["events"])
    context = browser.new_context(base_url=split.url, viewport=SIZES[size])
    context.set_default_timeout(WAIT_MS)
    try:
        page = context.new_page()
        page.goto("/accounts/login/?next=/inspector/traces/")
        page.get_by_label("Username").fill(staff_account(split, "projector"))
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.get_by_role("link", name=TRACE).click()
        position = page.locator("#position")
        expect(position).to_have_text("step 1 of %d" % steps)  # the script has run: keys work
        expect(page.locator("#step-note")).not_to_be_empty()
        expect(page.locator("#step-doc")).to_contain_text("docs/")
        page.keyboard.press("ArrowRight")
        expect(position).to_have_text("step 2 of %d" % steps)
        page.keyboard.press("End")
        expect(position).to_have_text("step %d of %d" % (steps, steps))
        expect(page.get_by_role("button", name="next step")).to_be_disabled()
        page.keyboard.press("ArrowLeft")
        expect(position).to_have_text("step %d of %d" % (steps - 1, steps))
        # The diagram draws the steps so far, this one's hops marked.
        expect(page.locator("#sequence g.hop.current").first).to_be_visible()
        consumer_step = page.locator("#step-consumer")
        page.keyboard.press("Home")
        while "consumers.lessons.echo" not in consumer_step.text_content():
            page.get_by_role("button", name="next step").click()
        expect(page.locator("#step-note")).to_contain_text("worker")
        assert fit_problems(page) == []
        screenshot(page, "trace-replay-%s" % size)
        page.goto("/inspector/")
        expect(page.locator("section.message-keys")).to_be_visible()
        assert fit_problems(page) == []
        screenshot(page, "inspector-%s" % size)
    finally:
        context.close()
