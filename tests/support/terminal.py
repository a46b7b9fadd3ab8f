"""Shared by the terminal tests: a real sshd, a hosts file pointing at it, staff logins, reading output.

``ssh_lab`` starts one ``TemporarySSHD`` for the session and writes the
split's hosts file with one alias per situation the tests need:

- ``lab``: the right key and known_hosts (logs in as the current user);
- ``wrongkey``: a key the server never authorized (4603);
- ``changed``: known_hosts holds another key for the same host and port (4604);
- ``down``: a second sshd, started and stopped again (4605).
"""
import json
import os
import time
import uuid

import pytest
import websocket

from tests.conftest import require_tool
from tests.support.browser import logged_in
from tests.support.sshd import TemporarySSHD, find_sshd, keygen
from tests.support.wire import recv_close

PASSWORD = "terminal-pass-123"
HOST = """[hosts.{alias}]
host = "127.0.0.1"
port = {port}
username = "{user}"
key_file = "{key}"
known_hosts = "{known_hosts}"
"""


def write_hosts(path, entries):
    """The TOML hosts file: entries are dicts with alias, port, key, known_hosts."""
    user = os.environ.get("USER") or __import__("pwd").getpwuid(os.getuid()).pw_name
    with open(path, "w") as f:
        for entry in entries:
            f.write(HOST.format(user=user, **entry) + "\n")


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


@pytest.fixture(scope="session")
def ssh_lab(split, tmp_path_factory):
    require_tool("sshd", find_sshd(), "apt-get install openssh-server (./run-tests does)")
    root = tmp_path_factory.mktemp("sshd")
    sshd = TemporarySSHD(root / "server", os.path.join(split.log_dir, "sshd.log")).start()
    stopped = TemporarySSHD(root / "stopped", os.path.join(split.log_dir, "sshd-stopped.log")).start()
    stopped.stop()
    known = write(root / "known_hosts", sshd.known_hosts_line())
    other_key = keygen(str(root / "other_host_key"))
    stranger = str(root / "stranger")
    keygen(stranger)
    entries = [
        {"alias": "lab", "port": sshd.port, "key": sshd.client_key, "known_hosts": known},
        {"alias": "wrongkey", "port": sshd.port, "key": stranger, "known_hosts": known},
        {"alias": "changed", "port": sshd.port, "key": sshd.client_key,
         "known_hosts": write(root / "changed_known_hosts", sshd.known_hosts_line(other_key))},
        {"alias": "down", "port": stopped.port, "key": stopped.client_key,
         "known_hosts": write(root / "stopped_known_hosts", stopped.known_hosts_line())},
    ]
    write_hosts(split.env["TERMINAL_HOSTS_FILE"], entries)
    try:
        yield sshd
    finally:
        sshd.stop()


def create_user(split, username, staff=True):
    split.manage("shell", "-c", "from django.contrib.auth.models import User; "
                 "User.objects.create_user(%r, password=%r, is_staff=%r)"
                 % (username, PASSWORD, staff))
    return logged_in(split, username, PASSWORD)


@pytest.fixture(scope="session")
def staff(split):
    """A logged-in staff Browser, made once for the session's terminal tests."""
    return create_user(split, "staff_%s" % uuid.uuid4().hex[:6])


class Terminal:
    """One terminal socket: sends input and resizes, collects output and status frames."""

    def __init__(self, split, cookie, alias="lab", query="", timeout=20):
        self.sock = websocket.create_connection(
            "%s/terminal/%s/%s" % (split.ws_url, alias, query), timeout=timeout,
            origin=split.url, cookie=cookie)
        self.output = bytearray()
        self.statuses = []

    def send(self, **frame):
        self.sock.send(json.dumps(frame))

    def type(self, text):
        self.send(input=text)

    def read_frame(self):
        """One frame: bytes go to output, text frames to statuses; returns it (None on close).

        Frames are read raw, without websocket-client answering a close: a
        test may read the close long after daphne sent it and dropped the
        connection, and the answer would then fail on a reset socket.
        """
        frame = self.sock.recv_frame()
        opcode, data = frame.opcode, frame.data
        if opcode == websocket.ABNF.OPCODE_BINARY:
            self.output += data
        elif opcode == websocket.ABNF.OPCODE_TEXT:
            self.statuses.append(json.loads(data))
        elif opcode == websocket.ABNF.OPCODE_CLOSE:
            self.close_code = int.from_bytes(data[:2], "big") if len(data) >= 2 else None
            return None
        return data

    def status(self):
        """The next status (or error) frame; output read on the way is kept."""
        seen = len(self.statuses)
        while len(self.statuses) == seen:
            if self.read_frame() is None:
                raise AssertionError("closed (%s) before a status frame" % self.close_code)
        return self.statuses[-1]

    def wait_for(self, needle, timeout=20):
        """Read until ``needle`` (bytes) is in the output; returns the output."""
        deadline = time.monotonic() + timeout
        start = 0  # output before this was searched already
        while self.output.find(needle, start) < 0:
            start = max(0, len(self.output) - len(needle) + 1)
            if time.monotonic() > deadline:
                raise AssertionError("no %r in %r" % (needle, bytes(self.output[-500:])))
            if self.read_frame() is None:
                raise AssertionError("closed (%s) before %r in %r"
                                     % (self.close_code, needle, bytes(self.output[-500:])))
        return bytes(self.output)

    def closed_with(self):
        """Read to the close; returns its code."""
        return recv_close(self.sock)[0]

    def finish(self):
        """Exit the shell and read to the close, so the session stops counting against the limit.

        Only closing the socket would leave the session running, detached,
        for TERMINAL_REATTACH_SECONDS.
        """
        self.type("exit\n")
        while self.read_frame() is not None:
            pass
        self.sock.close()
