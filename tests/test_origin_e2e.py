"""Every WebSocket route refuses a foreign or missing Origin at the handshake.

The sockets carry a logged-in session cookie: a page on another site opening
a socket with the victim's cookie (cross-site WebSocket hijacking) is the
attack ``allowed_hosts_only`` stops.
"""
import pytest
import websocket

from tests.browser import signed_up

pytestmark = pytest.mark.e2e

ROUTES = ["/echo/", "/chat/", "/chat/lobby/", "/letters/", "/notifications/"]


@pytest.fixture(scope="module")
def victim_cookie(split):
    return signed_up(split, "origin_victim").cookie_header


@pytest.mark.parametrize("path", ROUTES)
def test_foreign_origin_gets_403(ws, victim_cookie, path):
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        ws(path, origin="http://evil.example", cookie=victim_cookie)
    assert refused.value.status_code == 403


@pytest.mark.parametrize("path", ROUTES)
def test_missing_origin_gets_403(ws, victim_cookie, path):
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        ws(path, suppress_origin=True, cookie=victim_cookie)
    assert refused.value.status_code == 403


@pytest.mark.parametrize("path", ROUTES)
def test_own_origin_is_let_in(ws, victim_cookie, path):
    assert ws(path, cookie=victim_cookie).connected
