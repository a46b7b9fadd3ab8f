"""Recording sessions: one asciicast v2 file each, and one audit line per session.

asciicast v2 (the format asciinema plays) is a JSON header line, then one
JSON array per event: ``[seconds since start, "o", text]`` for output and
``[seconds, "r", "COLSxROWS"]`` for a resize. Input ("i") is not written:
passwords typed at a sudo prompt would land in the file.

Output arrives in chunks that may split a UTF-8 character; an incremental
decoder carries the partial bytes to the next chunk, so the text recorded is
the text the terminal showed.
"""
import codecs
import datetime
import json
import logging
import os
import re
import secrets
import time

logger = logging.getLogger("channels_example.terminal")

# What recording_path() produces and the replay view accepts.
RECORDING_NAME = re.compile(r"^[0-9]{8}T[0-9]{6}Z-[A-Za-z0-9_.@+-]+\.cast$")


def recording_path(directory, started, username, alias):
    """A new file name: its id is its own, never the session's.

    Every staff member sees the recordings list; a session id there would
    tell them which ``?session=`` to try on another user's terminal.
    """
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    user = re.sub(r"[^A-Za-z0-9_.@+-]", "_", username)
    return os.path.join(directory, "%s-%s-%s-%s.cast" % (stamp, user, alias, secrets.token_hex(6)))


class Recording:
    """An open .cast file: header written on creation, one line per event after."""

    def __init__(self, directory, username, alias, session_id, cols, rows):
        os.makedirs(directory, exist_ok=True)
        self.directory = directory
        self.username, self.alias, self.session_id = username, alias, session_id
        self.started = datetime.datetime.now(datetime.timezone.utc)
        self.path = recording_path(directory, self.started, username, alias)
        self._t0 = time.monotonic()
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        # Bytes of output seen (not of the file): what the audit line reports.
        self.bytes_out = 0
        self.bytes_in = 0
        self._file = open(self.path, "w", encoding="utf-8")
        self._line({"version": 2, "width": cols, "height": rows,
                    "timestamp": int(self.started.timestamp()),
                    "title": "%s@%s" % (username, alias)})

    def _line(self, value):
        self._file.write(json.dumps(value, ensure_ascii=False) + "\n")
        self._file.flush()

    def _elapsed(self):
        return round(time.monotonic() - self._t0, 6)

    def output(self, data):
        self.bytes_out += len(data)
        text = self._decoder.decode(data)
        if text:
            self._line([self._elapsed(), "o", text])

    def input(self, data):
        """Counted for the audit line, never written."""
        self.bytes_in += len(data.encode("utf-8"))

    def resize(self, cols, rows):
        self._line([self._elapsed(), "r", "%dx%d" % (cols, rows)])

    def close(self, reason):
        tail = self._decoder.decode(b"", final=True)
        if tail:
            self._line([self._elapsed(), "o", tail])
        self._file.close()
        audit(self.directory, {
            "user": self.username, "alias": self.alias, "session": self.session_id,
            "start": self.started.isoformat(timespec="seconds"),
            "end": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "bytes_out": self.bytes_out, "bytes_in": self.bytes_in,
            "recording": os.path.basename(self.path), "reason": reason,
        })


def audit(directory, entry):
    """One JSON line per ended session in ``audit.log``, and the same at INFO in the log."""
    line = json.dumps(entry, sort_keys=True)
    with open(os.path.join(directory, "audit.log"), "a", encoding="utf-8") as f:
        f.write(line + "\n")
    logger.info("terminal session ended: %s", line)


def list_recordings(directory):
    """[(name, header)] of every .cast file, newest first; unreadable headers are skipped."""
    try:
        names = sorted((n for n in os.listdir(directory) if RECORDING_NAME.match(n)), reverse=True)
    except FileNotFoundError:
        return []
    found = []
    for name in names:
        try:
            with open(os.path.join(directory, name), encoding="utf-8") as f:
                found.append((name, json.loads(f.readline())))
        except (OSError, ValueError):
            continue
    return found
