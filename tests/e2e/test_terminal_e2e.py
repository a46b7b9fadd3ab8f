"""/terminal/<alias>/ through the real split and a real OpenSSH server.

The split is the session's (redis, daphne, two runworkers and the terminal
service, from the Procfile); sshd is tests/support/terminal.py's, on its own port
with its own keys. Typed commands are chosen so the shell's echo of the
command line cannot contain what the test waits for (``$((6*7))`` is not
``42``), so seeing it means the command ran. (bash's bracketed-paste
switch sits between the command's echo and its output, so a line of output
is matched by its end, ``42\r\n``.)
"""
import json
import os
import secrets

import pytest

from channels_kit.testing.split import wait_for
from tests.support.terminal import Terminal, create_user
from tests.support.wire import recv_close, recv_json


def opened(split, staff, **kwargs):
    term = Terminal(split, staff.cookie_header, **kwargs)
    status = term.status()
    assert status["status"] == "connected", status
    term.session = status["session"]
    return term


def test_a_command_runs_and_its_output_comes_back(split, ssh_lab, staff):
    term = opened(split, staff)
    term.type("echo $((6*7))\n")
    term.wait_for(b"42\r\n")
    term.finish()


def test_resize_reaches_the_pty(split, ssh_lab, staff):
    term = opened(split, staff)
    term.send(resize=[101, 37])
    term.type("stty size\n")
    term.wait_for(b"37 101")
    term.finish()


@pytest.mark.parametrize("alias, code, error", [
    ("nosuchhost", 4602, "unknown-host"),
    ("wrongkey", 4603, "ssh-auth-failed"),
    ("changed", 4604, "ssh-host-key"),
    ("down", 4605, "ssh-unreachable"),
])
def test_refusals_name_the_reason(split, ssh_lab, staff, alias, code, error):
    term = Terminal(split, staff.cookie_header, alias=alias)
    frame = term.status()
    assert (frame["error"], frame["close"]) == (error, code)
    assert term.closed_with() == code


def test_anonymous_and_non_staff_are_refused(split, ssh_lab, ws):
    sock = ws("/terminal/lab/")
    assert recv_json(sock)["error"] == "login-required"
    assert recv_close(sock)[0] == 4201
    someone = create_user(split, "plain_%s" % secrets.token_hex(3), staff=False)
    sock = ws("/terminal/lab/", cookie=someone.cookie_header)
    assert recv_json(sock)["error"] == "staff-required"
    assert recv_close(sock)[0] == 4203


def test_a_bad_frame_is_reported_and_the_terminal_stays(split, ssh_lab, staff):
    term = opened(split, staff)
    term.send(resize=[0, "x"])
    assert term.status()["error"] == "invalid-terminal-frame"
    term.type("echo $((6*7))\n")
    term.wait_for(b"42\r\n")
    term.finish()


def test_reattach_gets_what_ran_while_away(split, ssh_lab, staff):
    term = opened(split, staff)
    term.type('sleep 1; echo la""ter\n')
    term.wait_for(b'la""ter')  # the shell echoed the line: it has the command
    term.sock.close()  # dropped, not exited: the session carries on detached
    again = opened(split, staff, query="?session=" + term.session)
    assert again.statuses[-1]["reattached"] is True
    again.wait_for(b"later\r\n")
    again.finish()


def test_reattach_to_an_unknown_session_is_refused(split, ssh_lab, staff):
    term = Terminal(split, staff.cookie_header, query="?session=0123456789abcdef")
    frame = term.status()
    assert (frame["error"], frame["close"]) == ("unknown-session", 4608)
    assert term.closed_with() == 4608


def test_another_staff_member_cannot_reattach_or_type_into_your_session(split, ssh_lab, staff):
    """Knowing your session id, they are refused, and nothing they send reaches your shell."""
    mine = opened(split, staff)
    intruder = create_user(split, "intruder_%s" % secrets.token_hex(3))
    marker = "HIJACK%s" % secrets.token_hex(4)
    for attempt in range(4):
        theirs = Terminal(split, intruder.cookie_header, query="?session=" + mine.session)
        # Sent at once, before the refusal can arrive, as the probe did.
        theirs.type("echo %s$((%d+1))\n" % (marker, attempt))
        theirs.send(resize=[20, 5])
        frame = theirs.status()
        assert (frame["error"], frame["close"]) == ("unknown-session", 4608)
        assert theirs.closed_with() == 4608
    mine.type("echo done$((6*7))\n")
    output = mine.wait_for(b"done42\r\n")
    assert marker.encode() not in output
    mine.type("stty size\n")
    mine.wait_for(b"24 80\r\n")  # the intruder's resize never reached the pty
    mine.finish()


def test_session_ids_are_not_in_recording_names(split, ssh_lab, staff):
    term = opened(split, staff)
    term.finish()
    names = os.listdir(split.env["TERMINAL_RECORDINGS_DIR"])
    assert names and not [name for name in names if term.session in name]


def audit_lines(directory, session):
    """The audit log's lines for ``session`` (none until it has ended and been written)."""
    try:
        with open(os.path.join(directory, "audit.log")) as f:
            return [entry for entry in map(json.loads, f) if entry["session"] == session]
    except FileNotFoundError:
        return []


def test_the_recording_is_asciicast_v2_with_the_output(split, ssh_lab, staff):
    term = opened(split, staff)
    term.send(resize=[90, 30])
    term.type("echo $((6*7)); exit\n")
    term.wait_for(b"42\r\n")
    while term.read_frame() is not None:
        pass
    assert term.statuses[-1]["status"] == "ended"
    assert term.close_code == 1000
    directory = split.env["TERMINAL_RECORDINGS_DIR"]
    # The session tells the client it ended, then closes its recording and audits it.
    wait_for(lambda: audit_lines(directory, term.session), 20, "the session's audit line")
    [line] = audit_lines(directory, term.session)
    with open(os.path.join(directory, line["recording"])) as f:
        header, *events = [json.loads(line) for line in f]
    assert header["version"] == 2 and header["title"].endswith("@lab")
    assert (header["width"], header["height"]) == (80, 24)
    assert isinstance(header["timestamp"], int)
    assert [e[2] for e in events if e[1] == "r"] == ["90x30"]
    assert "42\r\n" in "".join(e[2] for e in events if e[1] == "o")
    assert all(e[1] in ("o", "r") for e in events)
    times = [e[0] for e in events]
    assert times == sorted(times)
    assert line["alias"] == "lab" and line["bytes_out"] > 0 and line["end"] >= line["start"]


def test_five_megabytes_arrive_byte_for_byte(split, ssh_lab, staff, tmp_path):
    content = os.urandom(5 * 1024 * 1024)
    path = tmp_path / "five.bin"
    path.write_bytes(content)
    term = opened(split, staff)
    # Raw mode: the pty passes every byte through (no \n -> \r\n, no echo).
    # The markers are split in the command so its echo cannot be mistaken for them.
    term.type("stty raw -echo; printf %%s BE GIN; cat %s; printf %%s EN D; stty sane\n" % path)
    output = term.wait_for(content[-64:] + b"END", timeout=60)
    start = output.index(b"BEGIN") + len(b"BEGIN")
    assert output[start:start + len(content)] == content
    term.finish()
