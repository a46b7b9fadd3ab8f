"""HTTP through daphne and a runworker refuses what Django refuses under WSGI.

A form post over DATA_UPLOAD_MAX_MEMORY_SIZE (Django's default, 2.5 MiB) or
with more than DATA_UPLOAD_MAX_NUMBER_FIELDS (1000) fields gets 400 Bad
Request from the worker, as a WSGI server would answer
(channels_kit/http/request_limits.py; tests/unit/test_request_limits_unit.py compares
the two handlers). The post is the login form's, with its CSRF cookie and
token, so the request gets as far as the form being read.
"""
import urllib.error
import urllib.parse
import urllib.request

from tests.support.browser import Browser


DEFAULT_LIMIT = 2621440  # Django's DATA_UPLOAD_MAX_MEMORY_SIZE


def post_login_form(split, fields):
    browser = Browser(split.url)
    browser.get("/accounts/login/")
    body = urllib.parse.urlencode(fields + [("csrfmiddlewaretoken", browser.cookie("csrftoken"))])
    request = urllib.request.Request(split.url + "/accounts/login/", data=body.encode(),
                                     headers={"Referer": split.url + "/accounts/login/"})
    try:
        with browser.opener.open(request, timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as refused:
        return refused.code


def test_a_form_over_the_memory_limit_gets_400(split):
    fields = [("username", "u"), ("password", "p" * (DEFAULT_LIMIT + 1))]
    assert post_login_form(split, fields) == 400


def test_a_form_with_too_many_fields_gets_400(split):
    fields = [("username", "u"), ("password", "p")] + [("f%d" % i, "1") for i in range(1000)]
    assert post_login_form(split, fields) == 400


def test_the_same_form_within_the_limits_is_answered(split):
    """A wrong password, well within the limits: the form again (200), not a refusal."""
    assert post_login_form(split, [("username", "u"), ("password", "p" * 1000)]) == 200
