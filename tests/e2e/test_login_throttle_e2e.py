"""Password guessing is throttled per account and per address, on splits of their own.

Each split has two workers: the failures land on either, and the lock holds
on both, because the counts live in the split's Redis. The limits are made
small through the environment (LOGIN_THROTTLE_*), so a few guesses show the
lock; the right password is refused while it holds, with a 429 that says
when to come back. Before, 50 wrong passwords changed nothing.
"""
import json
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest

from tests.support.browser import Browser
from tests.support.splits import running_split


PASSWORD = "the right pass phrase 7"
WRONG = "a wrong pass phrase 7"


@pytest.fixture(scope="module")
def account_split(tmp_path_factory):
    env = {"LOGIN_THROTTLE_ACCOUNT": "3", "LOGIN_THROTTLE_ADDRESS": "1000"}
    with running_split("throttle-account", tmp_path_factory.mktemp("throttle-account"),
                       env=env) as split:
        yield split


@pytest.fixture(scope="module")
def address_split(tmp_path_factory):
    env = {"LOGIN_THROTTLE_ACCOUNT": "1000", "LOGIN_THROTTLE_ADDRESS": "4"}
    with running_split("throttle-address", tmp_path_factory.mktemp("throttle-address"),
                       env=env) as split:
        yield split


def new_user(split, staff=False):
    username = "guess_%s" % uuid.uuid4().hex[:6]
    split.manage("shell", "-c", "from django.contrib.auth.models import User; "
                 "User.objects.create_user(%r, password=%r, is_staff=%r)"
                 % (username, PASSWORD, staff))
    return username


def answer(opener, request):
    """(status, headers, body text) of a request, 4xx included."""
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


def page_login(split, path, username, password):
    """Log in through a login page's form, as a person would; (status, headers, page, browser)."""
    browser = Browser(split.url)
    browser.get(path)
    data = urllib.parse.urlencode({"username": username, "password": password,
                                   "csrfmiddlewaretoken": browser.cookie("csrftoken")}).encode()
    request = urllib.request.Request(split.url + path, data=data,
                                     headers={"Referer": split.url + path})
    return answer(browser.opener, request) + (browser,)


def token_login(split, username, password):
    request = urllib.request.Request(
        split.url + "/api-token-auth/", headers={"Content-Type": "application/json"},
        data=json.dumps({"username": username, "password": password}).encode())
    return answer(urllib.request.build_opener(), request)


@pytest.mark.parametrize("path, staff", [("/accounts/login/", False), ("/admin/login/", True)])
def test_login_pages_refuse_even_the_right_password_after_the_limit(account_split, path, staff):
    username = new_user(account_split, staff)
    for _ in range(3):
        status, _, page, _ = page_login(account_split, path, username, WRONG)
        assert status == 200 and "Too many failed logins" not in page
    status, headers, page, browser = page_login(account_split, path, username, PASSWORD)
    assert status == 429
    assert 0 < int(headers["Retry-After"]) <= 900
    assert "Too many failed logins for this account or from this address" in page
    assert browser.cookie("sessionid") is None  # not logged in


def test_the_token_api_answers_429_with_retry_after(account_split):
    username = new_user(account_split)
    for _ in range(3):
        assert token_login(account_split, username, WRONG)[0] == 400
    status, headers, body = token_login(account_split, username, PASSWORD)
    assert status == 429 and 0 < int(headers["Retry-After"]) <= 900
    assert "Try again in" in json.loads(body)["detail"]


def test_a_successful_login_clears_the_account_count(account_split):
    username = new_user(account_split)
    for password in (WRONG, WRONG, PASSWORD, WRONG, WRONG, PASSWORD):
        status, _, body = token_login(account_split, username, password)
        assert status == (200 if password == PASSWORD else 400), body


def test_usernames_count_together_whatever_their_case(account_split):
    username = new_user(account_split)
    for spelling in (username.upper(), username.title(), username):
        token_login(account_split, spelling, WRONG)
    assert token_login(account_split, username, PASSWORD)[0] == 429


def test_many_accounts_from_one_address_lock_the_address(address_split):
    for _ in range(4):
        assert token_login(address_split, new_user(address_split), WRONG)[0] == 400
    fresh = new_user(address_split)
    assert token_login(address_split, fresh, PASSWORD)[0] == 429
    status, _, page, _ = page_login(address_split, "/accounts/login/", fresh, PASSWORD)
    assert status == 429 and "Too many failed logins" in page
