"""Measure the web terminal on the real split and a real sshd (never asserted in tests).

With ``terminals`` sockets open on /terminal/lab/ (one staff user, a fresh
sshd on a free port, the terminal service from the Procfile):

1. output: one terminal ``cat``s a file in raw mode; MB/s from sending the
   command to the last byte read, and the same with every terminal
   ``cat``ing at once (total MB/s over all of them);
2. keystroke echo: every terminal runs ``cat`` in raw mode (each byte comes
   straight back) and types one key every ``key_interval`` seconds, all at
   once; latency = from sending ``{"input"}`` to reading the echoed byte.
   Keys are paced under daphne's per-socket frame rate (WS_RATE).

Run: ``env -u REDIS_URL .venv/bin/python -m bench.terminal [terminals] [MB] [keys]``
"""
import json
import os
import statistics
import sys
import tempfile
import threading
import time

import websocket

from channels_kit.testing.split import Split
from tests.support.sshd import TemporarySSHD

HOSTS = """[hosts.lab]
host = "127.0.0.1"
port = {port}
username = "{user}"
key_file = "{key}"
known_hosts = "{known_hosts}"
"""
# A staff user and a logged-in session, made in the split's database.
LOGIN = """
from django.contrib.auth.models import User
from django.contrib.sessions.backends.db import SessionStore
user = User.objects.create_user("bench_terminal", is_staff=True)
session = SessionStore()
session.update({"_auth_user_id": str(user.pk), "_auth_user_hash": user.get_session_auth_hash(),
                "_auth_user_backend": "django.contrib.auth.backends.ModelBackend"})
session.create()
print(session.session_key)
"""


class Terminal:
    def __init__(self, split, cookie):
        self.sock = websocket.create_connection(split.ws_url + "/terminal/lab/", timeout=60,
                                                origin=split.url, cookie=cookie)
        assert json.loads(self.sock.recv())["status"] == "connected"

    def type(self, text):
        self.sock.send(json.dumps({"input": text}))

    def read_until(self, needle, output=b""):
        output = bytearray(output)
        while needle not in output[-len(needle) - 65536:]:
            opcode, data = self.sock.recv_data()
            if opcode == websocket.ABNF.OPCODE_BINARY:
                output += data
        return output


def output_rate(terminals, path, size):
    """MB/s of each of ``terminals`` cat'ing ``path`` at once (raw pty: bytes pass unchanged)."""
    results = [None] * len(terminals)

    def run(i, term):
        started = time.monotonic()
        term.type("stty raw -echo; cat %s; printf %%s DO NE; stty sane\n" % path)
        term.read_until(b"DONE")
        results[i] = size / (time.monotonic() - started) / 1e6

    threads = [threading.Thread(target=run, args=(i, t)) for i, t in enumerate(terminals)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, size * len(terminals) / (time.monotonic() - started) / 1e6


def echo_latencies(terminals, keys, key_interval):
    """Seconds from each keystroke to its echo, over every terminal typing at once."""
    for term in terminals:
        term.type("stty raw -echo; cat; stty sane\n")
    time.sleep(1)
    for term in terminals:  # drain the command's echo
        term.sock.settimeout(0.5)
        try:
            while True:
                term.sock.recv()
        except websocket.WebSocketTimeoutException:
            term.sock.settimeout(60)
    latencies = []

    def run(term):
        for i in range(keys):
            key = "abcdefghij"[i % 10].encode()
            started = time.monotonic()
            term.type(key.decode())
            term.read_until(key)
            latencies.append(time.monotonic() - started)
            time.sleep(max(0.0, key_interval - (time.monotonic() - started)))
        term.type("\x04")  # cat ends on ^D

    threads = [threading.Thread(target=run, args=(t,)) for t in terminals]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(latencies)


def percentile(values, p):
    return values[min(len(values) - 1, int(len(values) * p))]


def main(terminals=10, megabytes=5, keys=100, key_interval=0.1):
    with tempfile.TemporaryDirectory() as tmp:
        sshd = TemporarySSHD(os.path.join(tmp, "sshd")).start()
        try:
            with open(os.path.join(tmp, "known_hosts"), "w") as f:
                f.write(sshd.known_hosts_line())
            with open(os.path.join(tmp, "hosts.toml"), "w") as f:
                f.write(HOSTS.format(port=sshd.port, user=os.environ.get("USER", "root"),
                                     key=sshd.client_key, known_hosts=f.name[:-10] + "known_hosts"))
            env = {"DATABASE_PATH": tmp + "/db.sqlite3", "TERMINAL_HOSTS_FILE": tmp + "/hosts.toml",
                   "TERMINAL_RECORDINGS_DIR": tmp + "/recordings",
                   "TERMINAL_MAX_SESSIONS": str(terminals)}
            with Split(workers=2, log_dir=tmp, env=env) as split:
                cookie = "sessionid=" + split.manage("shell", "-c", LOGIN).stdout.strip()
                run(split, cookie, tmp, terminals, megabytes, keys, key_interval)
        finally:
            sshd.stop()


def run(split, cookie, tmp, terminals, megabytes, keys, key_interval):
    size = megabytes * 1024 * 1024
    path = os.path.join(tmp, "output.bin")
    with open(path, "wb") as f:
        f.write(os.urandom(size))
    opened = [Terminal(split, cookie) for _ in range(terminals)]
    [one], _ = output_rate(opened[:1], path, size)
    print("terminal output, 1 of %d terminals cat'ing %d MB: %.1f MB/s" % (terminals, megabytes, one))
    each, total = output_rate(opened, path, size)
    print("terminal output, all %d cat'ing %d MB at once: %.1f MB/s in total (each %.1f-%.1f)"
          % (terminals, megabytes, total, min(each), max(each)))
    latencies = echo_latencies(opened, keys, key_interval)
    print("keystroke echo, %d terminals typing every %.0f ms, %d keys: p50 %.1f ms, p99 %.1f ms"
          % (terminals, key_interval * 1000, len(latencies),
             statistics.median(latencies) * 1000, percentile(latencies, 0.99) * 1000))
    for term in opened:
        term.sock.close()


if __name__ == "__main__":
    main(*[int(arg) for arg in sys.argv[1:4]])
