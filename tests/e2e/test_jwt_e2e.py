"""JWT auth through the real split: tokens from the HTTP API, refusals on the wire.

Tokens that the API would never issue (forged, expired, for unknown users)
are signed here with the split's key: the test process and the split read
the same settings from the same environment.
"""
import base64
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request

import jwt
import pytest
import websocket
from django.conf import settings

from tests.support.browser import logged_in
from tests.support.splits import running_split
from tests.support.wire import recv_close, recv_json


PASSWORD = "jwt-e2e-password"
OTHER_KEY = "a-different-secret-key-that-is-long-enough-for-hs256"
CREATE_USERS = """
from django.contrib.auth.models import User
for name, active in (("jwt_alice", True), ("jwt_retired", False)):
    user, _ = User.objects.get_or_create(username=name)
    user.set_password(%r)
    user.is_active = active
    user.save()
""" % PASSWORD


def b64(data):
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def claims(username="jwt_alice", expires_in=300):
    now = int(time.time())
    return {"user_id": 1, "username": username, "exp": now + expires_in, "orig_iat": now, "email": ""}


def signed(payload, key=None):
    return jwt.encode(payload, key or settings.SECRET_KEY, algorithm="HS256")


def post(base_url, path, data, as_json=False):
    """POST to the split; returns (status, decoded JSON body)."""
    if as_json:
        body, content_type = json.dumps(data).encode(), "application/json"
    else:
        body, content_type = urllib.parse.urlencode(data).encode(), "application/x-www-form-urlencoded"
    request = urllib.request.Request(base_url + path, body, {"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def obtain(base_url, username="jwt_alice"):
    status, body = post(base_url, "/api-token-auth/", {"username": username, "password": PASSWORD})
    assert status == 200, body
    return body["token"]


@pytest.fixture(scope="module")
def users(split):
    split.manage("shell", "-c", CREATE_USERS)


@pytest.fixture(scope="module")
def token(split, users):
    return obtain(split.url)


def refused(sock):
    """What a refused client sees: the error frame, then the close code."""
    frame = recv_json(sock)
    return frame["error"], recv_close(sock)[0]


def test_api_token_opens_whoami_and_the_user_is_kept(ws, token):
    sock = ws("/whoami/?token=" + token)
    assert recv_json(sock) == {"user": "jwt_alice"}
    sock.send("again")
    assert recv_json(sock) == {"user": "jwt_alice"}


def test_room_messages_carry_the_token_username(ws, token):
    sock = ws("/chat/jwt-room/?token=" + token)
    sock.send('{"text": "signed in"}')
    got = recv_json(sock)
    assert (got["room"], got["user"], got["text"]) == ("jwt-room", "jwt_alice", "signed in")


def test_api_token_auth_refuses_bad_password_drf_style(split, users):
    status, body = post(split.url, "/api-token-auth/", {"username": "jwt_alice", "password": "no"}, True)
    assert (status, body) == (400, {"non_field_errors": ["Unable to log in with provided credentials."]})


def test_refreshed_token_keeps_orig_iat_and_works(split, ws, users):
    orig_iat = int(time.time()) - 600
    old = signed(dict(claims(expires_in=5), orig_iat=orig_iat))
    status, body = post(split.url, "/api-token-refresh/", {"token": old}, as_json=True)
    assert status == 200, body
    new = body["token"]
    assert new != old
    payload = jwt.decode(new, settings.SECRET_KEY, algorithms=["HS256"])
    assert payload["orig_iat"] == orig_iat
    assert payload["exp"] > time.time() + 60
    sock = ws("/whoami/?token=" + new)
    assert recv_json(sock) == {"user": "jwt_alice"}


def test_refresh_of_an_expired_token_is_refused(split, users):
    status, body = post(split.url, "/api-token-refresh/", {"token": signed(claims(expires_in=-5))})
    assert (status, body) == (400, {"non_field_errors": ["Signature has expired."]})


def tampered(token, **changes):
    header, payload, signature = token.split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return "%s.%s.%s" % (header, b64(dict(data, **changes)), signature)


REFUSALS = {
    "missing": ("", "token-missing", 4300),
    "empty": ("?token=", "token-missing", 4300),
    "garbage": ("?token=not.a.jwt", "token-malformed", 4301),
    "repeated": ("?token={good}&token={good}", "token-malformed", 4301),
    "overlong": ("?token=" + "x" * 5000, "token-malformed", 4301),
    "alg-none": ("?token=%s.%s." % (b64({"alg": "none", "typ": "JWT"}), b64(claims())),
                 "token-bad-signature", 4302),
    "other-key": ("?token=" + signed(claims(), OTHER_KEY), "token-bad-signature", 4302),
    "tampered": ("?token={tampered}", "token-bad-signature", 4302),
    "expired": ("?token={expired}", "token-expired", 4303),
    "unknown-user": ("?token={unknown}", "token-unknown-user", 4304),
    "inactive-user": ("?token={retired}", "token-inactive-user", 4305),
}


@pytest.mark.parametrize("cause", sorted(REFUSALS))
def test_each_refusal_is_reported_then_closed_with_its_code(ws, users, token, cause):
    query, error, code = REFUSALS[cause]
    query = query.format(
        good=token,
        tampered=tampered(signed(claims("jwt_retired")), username="jwt_alice"),
        expired=signed(claims(expires_in=-5)),
        unknown=signed(claims("jwt_nobody")),
        retired=signed(claims("jwt_retired")),
    )
    for path in ("/whoami/", "/chat/jwt-refused/"):
        if cause == "missing" and path.startswith("/chat/"):
            continue  # no token in a room URL means the session path, not a refusal
        assert refused(ws(path + query)) == (error, code), path


def test_refusal_is_logged_at_warning_without_the_token(split, ws, users):
    token, room = signed(claims("jwt_nobody")), "jwt-log-%d" % time.time_ns()
    assert refused(ws("/chat/%s/?token=%s" % (room, token))) == ("token-unknown-user", 4304)
    logs = "".join(worker.log() for worker in split.workers)
    assert re.search(r"WARNING channels_kit.jwt.auth .* token refused on /chat/%s/ "
                     r"from 127.0.0.1:\d+: token-unknown-user" % room, logs)
    signature = token.rsplit(".", 1)[1]
    assert signature not in logs + split.web.log()


def test_bad_token_is_refused_even_with_a_valid_session_cookie(split, ws, users):
    cookie = logged_in(split, "jwt_alice", PASSWORD).cookie_header
    with_session = ws("/chat/jwt-cookie/", cookie=cookie)
    with_session.send('{"text": "via cookie"}')
    assert recv_json(with_session)["user"] == "jwt_alice"  # the cookie alone logs in
    sock = ws("/chat/jwt-cookie/?token=" + signed(claims(), OTHER_KEY), cookie=cookie)
    assert refused(sock) == ("token-bad-signature", 4302)


@pytest.fixture(scope="module")
def lenient_split(tmp_path_factory):
    """A second split whose JWT_LEEWAY is 30 s (the shared one has drf-jwt's 0)."""
    with running_split("jwt-leeway", tmp_path_factory.mktemp("jwt-leeway"),
                       env={"JWT_LEEWAY_SECONDS": "30"}) as running:
        running.manage("shell", "-c", CREATE_USERS)
        yield running


@pytest.mark.parametrize("expired_ago, expected", [(5, {"user": "jwt_alice"}), (120, "token-expired")])
def test_expiry_leeway(lenient_split, expired_ago, expected):
    sock = websocket.create_connection(
        lenient_split.ws_url + "/whoami/?token=" + signed(claims(expires_in=-expired_ago)),
        timeout=10, origin=lenient_split.url,
    )
    try:
        if expected == "token-expired":
            assert refused(sock) == ("token-expired", 4303)
        else:
            assert recv_json(sock) == expected
    finally:
        sock.close()
