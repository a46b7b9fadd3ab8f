"""Session auth through the real split: log in over HTTP, carry the cookie into the WebSocket.

The browser's path: GET the form (csrftoken cookie), POST it, keep the
``sessionid`` cookie, open the WebSocket with it. On connect
``channel_session_user_from_http`` copies the user into the channel_session;
every room message then carries the username.
"""
from tests.support.browser import Browser, signed_up
from tests.support.wire import recv_close, recv_json


def create_user(split, username, password):
    """The scripted way to make a user (``createsuperuser`` is the interactive one)."""
    split.manage("shell", "-c", "from django.contrib.auth.models import User; "
                 "User.objects.create_user(%r, password=%r)" % (username, password))


def say(sock, text):
    sock.send('{"text": "%s"}' % text)
    return recv_json(sock)


def test_signup_logs_the_new_user_in(split):
    browser = Browser(split.url)
    final_url, _ = browser.signup("signup_sam", "a long pass phrase")
    assert final_url == split.url + "/"
    assert browser.cookie("sessionid")


def test_logged_in_username_reaches_the_room(split, ws):
    create_user(split, "dora", "dora's pass phrase")
    browser = Browser(split.url)
    browser.login("dora", "dora's pass phrase")
    dora = ws("/chat/auth-room/", cookie=browser.cookie_header)
    stranger = ws("/chat/auth-room/")

    got = say(dora, "hello from dora")
    assert (got["user"], got["text"]) == ("dora", "hello from dora")
    assert recv_json(stranger)["user"] == "dora"

    got = say(stranger, "hello from nobody")
    assert (got["user"], got["text"]) == ("anonymous", "hello from nobody")
    assert recv_json(dora)["user"] == "anonymous"


def test_wrong_password_leaves_you_anonymous(split, ws):
    create_user(split, "eve_wrong", "the right pass phrase")
    browser = Browser(split.url)
    browser.login("eve_wrong", "not the pass phrase")
    assert browser.cookie("sessionid") is None
    sock = ws("/chat/auth-room-2/", cookie=browser.cookie_header)
    assert say(sock, "who am I")["user"] == "anonymous"


def test_logout_ends_the_session_for_new_sockets_only(split, ws):
    """An open socket keeps the user it connected as: its channel_session holds it."""
    browser = signed_up(split, "logout_lou")
    old_cookie = browser.cookie_header
    before = ws("/chat/auth-room-3/", cookie=old_cookie)
    assert say(before, "still me")["user"] == "logout_lou"

    browser.logout()
    after = ws("/chat/auth-room-3/", cookie=old_cookie)
    assert say(after, "who now")["user"] == "anonymous"
    recv_json(before)  # the anonymous message, seen by the older socket too
    assert say(before, "and still me")["user"] == "logout_lou"


def test_password_change_ends_open_sockets_with_4202(split, ws):
    """Django flushes a session whose password hash is stale: the channel_session too."""
    sock = ws("/chat/auth-room-4/", cookie=signed_up(split, "pat_changes").cookie_header)
    assert say(sock, "before")["user"] == "pat_changes"
    split.manage("shell", "-c", "from django.contrib.auth.models import User; "
                 "u = User.objects.get(username='pat_changes'); "
                 "u.set_password('a new pass phrase'); u.save()")
    sock.send('{"text": "after"}')
    assert recv_json(sock)["error"] == "session-ended"
    assert recv_close(sock)[0] == 4202
