"""Inspector traces without a split: saved and replayed redacted, for staff only, every step annotated.

The recording itself (a real split, a real socket) is
tests/e2e/test_inspector_traces_e2e.py; here the trace files are written
directly, so a secret can be planted in every place a message carries one
and followed to disk and onto the replay page.
"""
import json
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.management import CommandError, call_command

from channels_example import trace_notes
from channels_kit.inspector.message_keys import CARD
from channels_kit.inspector.traces import (MAX_EVENTS, Recorder, entry_id, load_trace, save_trace,
                                           trace_names)
from tests.support.paths import ROOT

SESSION_KEY = "k3v9x0q8m2n7b4c1z6l5w0e9r8t7y6u5"
PASSWORD = "correct-horse-battery-staple"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyX2lkIjo3fQ.c2lnbmF0dXJlLWhlcmUtbm90LXJlYWw"
QUERY_TOKEN = "qt-5f2b8c1d9e"
SECRETS = [SESSION_KEY, PASSWORD, JWT, QUERY_TOKEN]


def planted_events():
    """One socket's connect, frame and reply, as the layer carried them, secrets and all."""
    reply = "daphne.response.AbCdEfGhIj!KlMnOpQrSt"
    return [
        {"ts": 10.0, "role": "daphne", "pid": 1, "op": "send", "channel": "websocket.connect",
         "content": {"reply_channel": reply, "path": "/chat/lobby/", "order": 0,
                     "query_string": "token=%s&room=lobby" % QUERY_TOKEN,
                     "headers": [[b"cookie", ("sessionid=%s" % SESSION_KEY).encode()],
                                 [b"host", b"localhost:8000"]]}},
        {"ts": 10.2, "role": "worker", "pid": 2, "op": "receive", "channel": "websocket.receive",
         "consumer": "consumers.rooms.receive", "ms": 2.5,
         "content": {"reply_channel": reply, "path": "/chat/lobby/", "order": 1,
                     "text": json.dumps({"text": "my jwt " + JWT, "password": PASSWORD})}},
        {"ts": 10.1, "role": "worker", "pid": 2, "op": "send", "channel": reply,
         "content": {"accept": True}},
    ]


@pytest.fixture
def traces(settings, tmp_path):
    settings.INSPECTOR_TRACES_DIR = str(tmp_path)
    return tmp_path


@pytest.fixture
def staff(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("teacher", is_staff=True))
    return client


def test_a_saved_trace_holds_no_secret_and_keeps_the_events_in_time_order(traces):
    path = save_trace(str(traces), "lesson", planted_events())
    saved = Path(path).read_text()
    for secret in SECRETS:
        assert secret not in saved
    events = json.loads(saved)["events"]
    assert [event["ts"] for event in events] == [10.0, 10.1, 10.2]
    assert events[0]["content"]["path"] == "/chat/lobby/"  # what may be shown stays
    assert json.loads(events[2]["content"]["text"])["password"] == "[redacted]"


def test_a_trace_edited_by_hand_is_redacted_again_when_loaded(traces):
    save_trace(str(traces), "edited", [])
    path = traces / "edited.json"
    trace = json.loads(path.read_text())
    trace["events"] = planted_events()
    path.write_text(json.dumps(trace, default=lambda value: value.decode()))
    loaded = json.dumps(load_trace(str(traces), "edited"))
    for secret in SECRETS:
        assert secret not in loaded


@pytest.mark.django_db
def test_the_replay_page_shows_every_step_and_no_secret(traces, staff):
    save_trace(str(traces), "lesson-1", planted_events())
    page = staff.get("/inspector/traces/lesson-1/")
    assert page.status_code == 200
    body = page.content.decode()
    for secret in SECRETS:
        assert secret not in body
    steps = json.loads(re.search(r'<script id="trace" type="application/json">(.*?)</script>',
                                 body, re.S).group(1))
    assert [step["op"] for step in steps] == ["send", "send", "receive"]
    assert all(step["note"]["note"] and step["note"]["doc"] for step in steps)
    assert '<span id="position" aria-live="polite">3 steps</span>' in body  # "step 1 of 3" once its script runs


@pytest.mark.django_db
def test_the_trace_list_links_each_saved_trace(traces, staff):
    save_trace(str(traces), "b-second", [])
    save_trace(str(traces), "a-first", [])
    (traces / "not a trace.json").write_text("{}")
    assert trace_names(str(traces)) == ["a-first", "b-second"]
    body = staff.get("/inspector/traces/").content.decode()
    assert body.index('href="/inspector/traces/a-first/"') < body.index('href="/inspector/traces/b-second/"')


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/inspector/traces/", "/inspector/traces/lesson-1/"])
def test_traces_are_for_staff_only(traces, client, django_user_model, path):
    save_trace(str(traces), "lesson-1", planted_events())
    anonymous = client.get(path)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
    client.force_login(django_user_model.objects.create_user("student"))
    refused = client.get(path)
    assert refused.status_code == 403
    assert "Only active staff accounts may use it" in refused.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/inspector/traces/missing/", "/inspector/traces/..%2Fsettings/",
                                  "/inspector/traces/broken/"])
def test_a_missing_or_unreadable_trace_is_a_404(traces, staff, path):
    (traces / "broken.json").write_text("{not json")
    assert staff.get(path).status_code == 404


EXAMPLES = [
    {"role": "daphne", "op": "send", "channel": channel} for channel in trace_notes.FROM_BROWSER
] + [
    {"role": "worker", "op": "receive", "channel": channel} for channel in trace_notes.RUNS
] + [
    {"role": "worker", "op": op, "channel": "x!y"} for op in
    ("park", "requeue", "drop", "group_add", "group_discard", "group_send")
] + [
    {"role": "daphne", "op": "receive", "channel": "x!y"},
    {"role": "inspector", "op": "dropped", "count": 3},
    {"role": "worker", "op": "send", "channel": "x!y", "group": "g", "content": {"text": "t"}},
    {"role": "worker", "op": "send", "channel": "x!y", "content": {"accept": True}},
    {"role": "worker", "op": "send", "channel": "x!y", "content": {"close": 4100}},
    {"role": "worker", "op": "send", "channel": "x!y", "content": {"text": "t"}},
    {"role": "process", "op": "send", "channel": "x!y", "content": {"text": "t"}},
]


def headings(doc):
    text = (Path(ROOT) / "docs" / doc).read_text()
    return {trace_notes.anchor(line.lstrip("#").strip())
            for line in text.splitlines() if line.startswith("#")}


@pytest.mark.parametrize("event", EXAMPLES, ids=lambda e: "%s-%s-%s" % (e["role"], e["op"], e.get("channel")))
def test_every_kind_of_step_links_a_heading_that_exists(event):
    note = trace_notes.note_for(event)
    doc, anchor = note["doc"].split("#")
    assert anchor in headings(doc[len("docs/"):]), note
    assert note["note"].endswith(".") and len(note["note"]) <= 140


def test_the_notes_link_the_docs_only_where_a_docs_url_is_set(settings):
    event = {"role": "worker", "op": "park", "channel": "__wait__.x"}
    assert trace_notes.note_for(event)["href"] is None
    settings.DOCS_URL = "https://code.example/site/docs/"
    assert trace_notes.note_for(event)["href"] == (
        "https://code.example/site/docs/teaching.md#"
        "5-enforce_ordering-and-the-counter-connect-starts-10-minutes")


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/inspector/", "/inspector/traces/lesson-1/"])
def test_the_message_key_card_sits_beside_the_inspector_and_the_replay(traces, staff, path):
    save_trace(str(traces), "lesson-1", planted_events())
    body = staff.get(path).content.decode()
    for row in CARD:
        assert 'data-channel="%s"' % row["channel"] in body
    assert "<dt><code>reply_channel</code></dt>" in body


def test_a_long_frame_is_cut_once_however_often_it_is_redacted(traces):
    long_frame = {"role": "worker", "op": "send", "channel": "x!y", "ts": 1.0,
                  "content": {"text": "word " * 200}}
    save_trace(str(traces), "long", [long_frame])
    shown = load_trace(str(traces), "long")["events"][0]["content"]["text"]
    assert shown.endswith("... (1000 characters)")


@pytest.mark.parametrize("name, refusal", [
    ("lesson-1", "has no inspector"),  # the unit tests' in-memory layer has no processes to watch
    ("../settings", "a trace name is"),
])
def test_recordtrace_refuses_what_it_cannot_record(traces, name, refusal):
    with pytest.raises(CommandError, match=refusal):
        call_command("recordtrace", name, "--seconds", "1")
    assert trace_names(str(traces)) == []


def post_trace(client, payload):
    return client.post("/inspector/traces/", json.dumps(payload, default=lambda value: value.decode()),
                       content_type="application/json")


@pytest.mark.django_db
def test_staff_save_a_trace_from_the_inspector_page_and_it_is_saved_redacted(traces, staff):
    answer = post_trace(staff, {"name": "from-page", "events": planted_events(), "lost": 2})
    assert answer.status_code == 201
    assert answer.json() == {"name": "from-page", "url": "/inspector/traces/from-page/"}
    saved = (traces / "from-page.json").read_text()
    for secret in SECRETS:
        assert secret not in saved
    assert json.loads(saved)["lost"] == 2
    assert ">3 steps</span>" in staff.get(answer.json()["url"]).content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("payload, reason", [
    ({"name": "../up", "events": []}, "a trace name is"),
    ({"name": "ok", "events": "all of them"}, '"events" must be'),
    ({"name": "ok", "events": [{"op": "send", "role": "worker", "ts": "noon"}]}, '"events" must be'),
    ({"name": "ok", "events": [{"op": "send", "role": "worker", "ts": 1, "channel": ["x"]}]}, '"events" must be'),
    ({"name": "ok", "events": [], "lost": -1}, '"lost" must be'),
    ({"name": "ok", "events": [{"op": "send", "role": "worker", "ts": 1}] * 5001}, "at most 5000"),
])
def test_a_trace_that_is_not_one_is_refused_with_a_reason(traces, staff, payload, reason):
    answer = post_trace(staff, payload)
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid-trace"
    assert reason in answer.json()["detail"]
    assert trace_names(str(traces)) == []


@pytest.mark.django_db
def test_a_body_that_is_not_json_is_refused_with_a_reason(traces, staff):
    answer = staff.post("/inspector/traces/", "{not json", content_type="application/json")
    assert answer.status_code == 400 and "JSON" in answer.json()["detail"]


@pytest.mark.django_db
def test_only_staff_may_save_a_trace_and_only_with_the_csrf_token(traces, django_user_model):
    from django.test import Client
    student = Client()
    student.force_login(django_user_model.objects.create_user("student"))
    assert post_trace(student, {"name": "mine", "events": []}).status_code == 403
    teacher = Client(enforce_csrf_checks=True)
    teacher.force_login(django_user_model.objects.create_user("teacher", is_staff=True))
    assert post_trace(teacher, {"name": "mine", "events": []}).status_code == 403  # no token
    assert trace_names(str(traces)) == []


def test_stream_entry_ids_sort_as_redis_orders_them():
    assert entry_id(b"1700000000000-10") > entry_id("1700000000000-9") > entry_id("999999999999-0")


def test_a_recording_keeps_at_most_its_limit_and_counts_the_rest_lost():
    recorder = Recorder(SimpleNamespace(inspector=SimpleNamespace()))
    events = [{"op": "send", "role": "worker", "ts": n, "src": "1.1", "seq": n + 1}
              for n in range(MAX_EVENTS + 7)]
    events[10]["seq"] = 100  # a gap in one thread's numbering: events that never reached the stream
    recorder.take(events)
    assert len(recorder.events) == MAX_EVENTS
    assert recorder.lost == 7 + (100 - 10 - 1)
