"""Every WebSocket route refuses a foreign or missing Origin at the handshake.

The sockets carry a logged-in session cookie: a page on another site opening
a socket with the victim's cookie (cross-site WebSocket hijacking) is the
attack the Origin check stops. Channels' ``allowed_hosts_only`` compares
only the hostname, so a page on another *port* of the same host got
through it, with the staff member's cookie (SameSite=Lax sends it to every
port): Chromium proves the kit's check (``channels_kit.origin``) refuses it.
"""
import http.server
import threading
import uuid

import pytest
import websocket

from tests.support.browser import signed_up
from tests.support.terminal import create_user


ROUTES = ["/echo/", "/chat/", "/chat/lobby/", "/letters/", "/notifications/"]


@pytest.fixture(scope="module")
def victim_cookie(split):
    return signed_up(split, "origin_victim").cookie_header


@pytest.mark.parametrize("path", ROUTES)
def test_foreign_origin_gets_403(ws, victim_cookie, path):
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        ws(path, origin="http://evil.example", cookie=victim_cookie)
    assert refused.value.status_code == 403


@pytest.mark.parametrize("path", ROUTES + ["/json/", "/progress/", "/cbc/chat/", "/nowhere/"])
@pytest.mark.parametrize("variant", ["other-port", "https", "no-port", "localhost"])
def test_same_host_other_origins_get_403(split, ws, victim_cookie, path, variant):
    """What channels' hostname-only check let through: same host, another scheme or port."""
    origin = {"other-port": "http://127.0.0.1:%d" % (split.port + 1),
              "https": "https://127.0.0.1:%d" % split.port,
              "no-port": "http://127.0.0.1",
              "localhost": "http://localhost:%d" % split.port}[variant]
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        ws(path, origin=origin, cookie=victim_cookie)
    assert refused.value.status_code == 403


@pytest.mark.parametrize("path", ROUTES)
def test_missing_origin_gets_403(ws, victim_cookie, path):
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        ws(path, suppress_origin=True, cookie=victim_cookie)
    assert refused.value.status_code == 403


@pytest.mark.parametrize("path", ROUTES)
def test_own_origin_is_let_in(ws, victim_cookie, path):
    assert ws(path, cookie=victim_cookie).connected


# --- a page on another port of the same host, in a staff member's browser -------

STAFF_ROUTES = ["/terminal/lab/", "/inspector/", "/live/"]
# Opens a socket to the split from whatever page it runs on, sends what an
# attacker would, and reports how it ended: "open" then the close code, or
# only the close code when the handshake was refused.
PROBE = """([url, frame]) => new Promise(done => {
    const seen = [];
    const sock = new WebSocket(url);
    sock.onopen = () => { seen.push("open"); sock.send(frame); };
    sock.onclose = event => { seen.push("close " + event.code); done(seen); };
    setTimeout(() => { seen.push("still open"); sock.close(); done(seen); }, 5000);
})"""
ATTACK_FRAMES = {"/terminal/lab/": '{"input": "id\\n"}', "/inspector/": "{}",
                 "/live/": '{"stream": "values", "payload": {"action": "create", '
                           '"data": {"name": "pwned", "value": "1"}}}'}


class OtherPort:
    """A page server on another port of 127.0.0.1: the attacker's site."""

    def __enter__(self):
        page = b"<!doctype html><title>not the site</title><p>hello"

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def staff_context(browser, split):
    """A browser context holding a staff member's login to the split (cookies of 127.0.0.1)."""
    staff = create_user(split, "origin_staff_%s" % uuid.uuid4().hex[:6])
    context = browser.new_context()
    context.add_cookies([{"name": c.name, "value": c.value, "domain": "127.0.0.1", "path": "/"}
                         for c in staff.jar])
    yield context
    context.close()


def probe_from(context, page_url, split, path):
    page = context.new_page()
    try:
        page.goto(page_url)
        return page.evaluate(PROBE, [split.ws_url + path, ATTACK_FRAMES[path]])
    finally:
        page.close()


@pytest.mark.parametrize("path", STAFF_ROUTES)
def test_a_page_on_another_port_cannot_open_staff_sockets(split, ssh_lab, staff_context, path):
    with OtherPort() as attacker:
        assert attacker.url != split.url
        seen = probe_from(staff_context, attacker.url + "/", split, path)
    assert seen == ["close 1006"], seen  # the handshake's HTTP 403: never opened


@pytest.mark.parametrize("path", STAFF_ROUTES)
def test_the_sites_own_page_opens_them(split, ssh_lab, staff_context, path):
    seen = probe_from(staff_context, split.url + "/", split, path)
    assert seen[0] == "open", seen
