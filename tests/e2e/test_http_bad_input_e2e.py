"""Hostile HTTP requests through the real split: a clear 4xx with a JSON error, at once.

A body of 100,000 nested brackets used to raise RecursionError in the view:
a 500 with a 106 KB debug page listing the settings. A static path that
climbs out of the static directories made the worker log a traceback and
send nothing, so daphne answered 503 two minutes later. The last test checks
that none of these left a traceback in the worker logs.
"""
import http.client
import json
import os
import uuid

import pytest

from tests.support.terminal import create_user


BODIES = {
    "deep-arrays": b"[" * 100000,
    "deep-objects": b'{"a":' * 50000,
    "deep-valid": b"[" * 40 + b"]" * 40,
    "not-utf8": b'{"username": "\xff\xfe"}',
    "truncated": b'{"username": ',
    "array": b"[1, 2]",
    "nothing": b"",
}


@pytest.fixture(scope="module")
def log_marks(split):
    """Where each worker log ended before this module ran."""
    return {p.log_path: os.path.getsize(p.log_path) for p in split.workers + [split.web]}


@pytest.fixture(scope="module")
def staff(split):
    return create_user(split, "http_staff_%s" % uuid.uuid4().hex[:6])


def request(split, method, path, body=None, headers=None):
    """(status, content type, body bytes) of one request, as sent (no path normalising)."""
    connection = http.client.HTTPConnection("127.0.0.1", split.port, timeout=15)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type", ""), response.read()
    finally:
        connection.close()


def post_json(split, path, body, browser=None):
    headers = {"Content-Type": "application/json"}
    if browser is not None:  # a logged-in page's fetch(): the session and the CSRF token
        headers.update({"Cookie": browser.cookie_header, "X-CSRFToken": browser.cookie("csrftoken"),
                        "Referer": split.url + "/"})
    return request(split, "POST", path, body, headers)


@pytest.mark.parametrize("path", ["/api-token-auth/", "/api-token-refresh/"])
@pytest.mark.parametrize("body", list(BODIES), ids=list(BODIES))
def test_token_apis_answer_bad_json_with_a_400(split, log_marks, path, body):
    status, content_type, answer = post_json(split, path, BODIES[body])
    assert status == 400, answer[:300]
    assert content_type == "application/json" and len(answer) < 1000
    assert isinstance(json.loads(answer), dict)


@pytest.mark.parametrize("body", list(BODIES), ids=list(BODIES))
def test_push_api_answers_bad_json_with_a_400(split, log_marks, staff, body):
    status, content_type, answer = post_json(split, "/api/push/", BODIES[body], staff)
    assert status == 400, answer[:300]
    assert content_type == "application/json" and len(answer) < 1000
    assert json.loads(answer)["error"] == "invalid-push"


@pytest.mark.parametrize("path", ["/static/../manage.py", "/static/%2e%2e/manage.py",
                                  "/static/../../etc/passwd", "/static/..%2fmanage.py"])
def test_a_static_path_out_of_the_static_files_is_404_at_once(split, log_marks, path):
    status, content_type, answer = request(split, "GET", path)
    assert status == 404, answer[:300]
    assert b"SECRET_KEY" not in answer and b"root:" not in answer


def test_no_traceback_in_the_logs(split, log_marks, staff):
    # One good request last, so the logs hold everything before it.
    status, _, answer = post_json(split, "/api/push/", json.dumps(
        {"room": "lobby", "text": "still works"}).encode(), staff)
    assert status == 200, answer
    for path, start in log_marks.items():
        with open(path, errors="replace") as f:
            f.seek(start)
            assert "Traceback" not in f.read(), path
