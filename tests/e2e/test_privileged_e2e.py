"""A staff user's privileged sockets end when their privilege does, through the real split.

The sockets are a terminal (a real sshd), the inspector and /live/, opened
with the staff member's login cookie. Each way of losing the privilege is
made as it would be in production: a logout through the page, and saves
(or the deletion) of the user in another process (``manage.py shell``, as the admin or a
script would). Every socket must get the ``access-revoked`` frame and close
4205 within seconds; before, the inspector kept streaming and the terminal
kept running commands.
"""
import json
import urllib.parse
import urllib.request
import uuid

import pytest
import websocket

from tests.support.terminal import Terminal, create_user


SAVE = ("from django.contrib.auth.models import User; "
        "u = User.objects.get(username=%r); {change}; u.save()")
CHANGES = {
    "staff-lost": "u.is_staff = False",
    "deactivated": "u.is_active = False",
    "password-changed": "u.set_password('another pass phrase 42')",
}


def log_out(split, browser):
    """POST /accounts/logout/ with the page's CSRF token, as its form does."""
    data = urllib.parse.urlencode({"csrfmiddlewaretoken": browser.cookie("csrftoken")}).encode()
    request = urllib.request.Request(split.url + "/accounts/logout/", data=data,
                                     headers={"Referer": split.url + "/"})
    browser.opener.open(request, timeout=30).read()


def privileged_sockets(split, browser):
    """(the Terminal, {name: socket}) for a terminal, an inspector and a /live/ socket."""
    options = {"origin": split.url, "cookie": browser.cookie_header, "timeout": 20}
    terminal = Terminal(split, browser.cookie_header)
    assert terminal.status()["status"] == "connected"
    inspector = websocket.create_connection(split.ws_url + "/inspector/", **options)
    assert json.loads(inspector.recv())["op"] == "attached"
    live = websocket.create_connection(split.ws_url + "/live/", **options)
    return terminal, {"terminal": terminal.sock, "inspector": inspector, "live": live}


def ending(sock):
    """Read to the close: (the error frame's name, the close code)."""
    error = None
    while True:
        frame = sock.recv_frame()
        if frame.opcode == websocket.ABNF.OPCODE_TEXT:
            error = json.loads(frame.data).get("error") or error
        elif frame.opcode == websocket.ABNF.OPCODE_CLOSE:
            return error, int.from_bytes(frame.data[:2], "big") if len(frame.data) >= 2 else None


DELETE = "from django.contrib.auth.models import User; User.objects.get(username=%r).delete()"


@pytest.mark.parametrize("how", ["logout", "deleted"] + list(CHANGES))
def test_losing_the_privilege_ends_the_sockets(split, ssh_lab, how):
    username = "priv_%s" % uuid.uuid4().hex[:6]
    browser = create_user(split, username)
    terminal, sockets = privileged_sockets(split, browser)
    if how == "logout":
        log_out(split, browser)
    elif how == "deleted":
        split.manage("shell", "-c", DELETE % username)
    else:
        split.manage("shell", "-c", SAVE.format(change=CHANGES[how]) % username)
    for name, sock in sockets.items():
        assert ending(sock) == ("access-revoked", 4205), name


def test_other_saves_leave_the_sockets_open(split, ssh_lab):
    username = "priv_%s" % uuid.uuid4().hex[:6]
    browser = create_user(split, username)
    terminal, sockets = privileged_sockets(split, browser)
    split.manage("shell", "-c", SAVE.format(change="u.first_name = 'Ada'") % username)
    terminal.type("echo still$((6*7))\n")
    terminal.wait_for(b"still42\r\n")
    terminal.finish()

