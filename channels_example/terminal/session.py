"""One SSH session: its own thread in the terminal service, the only place its shell is read.

The service's loop never blocks on a session. It posts commands (input,
resize, attach, detach, stop) to the session's inbox and wakes its thread
through a pipe; the thread selects on that pipe and on the SSH channel, so a
keystroke is written and its echo read without polling. Everything about a
session (its socket, scrollback, recording, timers) is touched by its thread
alone.

While no socket is attached, output goes to a bounded scrollback that a
reattaching socket gets first; a session nobody reattaches within
``TERMINAL_REATTACH_SECONDS`` ends, as does one with no input for
``TERMINAL_IDLE_SECONDS``.
"""
import logging
import os
import queue
import select
import socket
import threading
import time

from django.conf import settings

from channels_example.terminal import frames
from channels_example.terminal.recording import Recording
from channels_example.terminal.ssh import open_shell
from channels_kit.client_errors import ClientError
from channels_kit.connections.redis_errors import REDIS_DOWN

logger = logging.getLogger("channels_example.terminal")

# Output kept for a socket that reattaches; older bytes are dropped first.
SCROLLBACK_BYTES = 256 * 1024
# Output sent as one binary frame at most.
CHUNK_BYTES = 64 * 1024
# Longest a write of input may wait for the server's window.
WRITE_TIMEOUT = 10
# Output messages (each at most CHUNK_BYTES) the socket's daphne may have
# waiting in Redis before the session stops reading the shell, checked every
# CHECK_EVERY sends; reading resumes at half.
MAX_QUEUED = 32
CHECK_EVERY = 8


class Session(threading.Thread):

    def __init__(self, service, session_id, host, user_id, username, reply_channel, size):
        super().__init__(name="terminal-" + session_id, daemon=True)
        self.service = service
        self.id = session_id
        self.host = host
        # Who owns it: only this user may reattach.
        self.user_id, self.username = user_id, username
        # The attached socket, or None while detached.
        self.reply_channel = reply_channel
        self.cols, self.rows = size
        # Commands from the service loop, and the pipe that wakes select().
        self.inbox = queue.SimpleQueue()
        self._wake_r, self._wake_w = os.pipe()
        # Guards the pipe: once closed its numbers may belong to another file.
        self._pipe_lock = threading.Lock()
        self._pipe_open = True
        # Output produced while detached, capped at SCROLLBACK_BYTES.
        self.missed = bytearray()
        self.detached_at = None
        self.last_input = time.monotonic()
        # Sends since the reply channel's queue was last measured, and
        # whether reading the shell is paused until daphne catches up.
        self.unchecked = 0
        self.paused = False
        self.client = self.channel = self.recording = None

    def post(self, *command):
        """Queue a command for the session's thread (called from the service loop)."""
        self.inbox.put(command)
        with self._pipe_lock:
            if self._pipe_open:
                os.write(self._wake_w, b"!")

    def run(self):
        try:
            self.client, self.channel = open_shell(self.host, self.cols, self.rows)
        except ClientError as error:
            logger.info("terminal %s@%s refused: %s", self.username, self.host.alias, error.detail)
            self.send(error.reply())
            self.service.session_ended(self)
            self._close_pipe()
            return
        self.recording = Recording(settings.TERMINAL_RECORDINGS_DIR, self.username,
                                   self.host.alias, self.id, self.cols, self.rows)
        self.channel.settimeout(WRITE_TIMEOUT)
        self.send(frames.connected_reply(self.id, reattached=False))
        reason = "error"
        try:
            reason = self.serve()
        except Exception:
            logger.exception("terminal session %s failed", self.id)
            self.send(frames.ended_reply("the session failed on the server", 1011))
        finally:
            self.client.close()
            self.recording.close(reason)
            self.service.session_ended(self)
            self._close_pipe()

    def serve(self):
        """Relay until the shell exits, the session times out or the service stops; returns why."""
        while True:
            watched = [self._wake_r] if self.backlogged() else [self.channel, self._wake_r]
            readable, _, _ = select.select(watched, [], [], self.wait_seconds())
            if self._wake_r in readable:
                os.read(self._wake_r, 4096)
                reason = self.run_commands()
                if reason:
                    return reason
            if self.channel in readable:
                self.output(self.read_available())
            reason = self.ended() or self.expired()
            if reason:
                return reason

    def backlogged(self):
        """True while daphne has too much of this socket's output still queued in Redis."""
        if not self.reply_channel:
            self.paused = False
        elif self.paused or self.unchecked >= CHECK_EVERY:
            self.unchecked = 0
            try:
                queued = self.service.queued(self.reply_channel)
            except REDIS_DOWN:
                queued = 0
            self.paused = queued > (MAX_QUEUED // 2 if self.paused else MAX_QUEUED)
        return self.paused

    def read_available(self):
        data = bytearray()
        while self.channel.recv_ready() and len(data) < CHUNK_BYTES:
            data += self.channel.recv(CHUNK_BYTES - len(data))
        return bytes(data)

    def output(self, data):
        if not data:  # end of file: ended() says so next
            return
        self.recording.output(data)
        if self.reply_channel:
            self.send({"bytes": data})
            self.unchecked += 1
        else:
            self.missed += data
            del self.missed[:-SCROLLBACK_BYTES]

    def ended(self):
        """Why the shell is gone ("exited", "connection lost"), or None while it runs."""
        if self.channel.recv_ready():
            return None
        if self.channel.eof_received or self.channel.closed:
            self.send(frames.ended_reply("the shell exited"))
            return "exited"
        if not self.channel.get_transport().is_active():
            self.send(frames.ended_reply("the SSH connection was lost", 4605, "ssh-unreachable"))
            return "connection lost"
        return None

    def expired(self):
        now = time.monotonic()
        if now - self.last_input > settings.TERMINAL_IDLE_SECONDS:
            self.send(frames.ended_reply("no input for %d s: session closed"
                                         % settings.TERMINAL_IDLE_SECONDS, 4607, "idle-timeout"))
            return "idle"
        if self.detached_at and now - self.detached_at > settings.TERMINAL_REATTACH_SECONDS:
            return "abandoned"
        return None

    def wait_seconds(self):
        """Until the next timeout could fall due, at most 1 s; 20 ms while paused."""
        if self.paused:
            return 0.02
        return max(0.05, min(1.0, settings.TERMINAL_IDLE_SECONDS
                             - (time.monotonic() - self.last_input)))

    ### Commands from the service loop ###

    def run_commands(self):
        while True:
            try:
                command, *args = self.inbox.get_nowait()
            except queue.Empty:
                return None
            reason = getattr(self, "do_" + command)(*args)
            if reason:
                return reason

    def attached(self, socket_name):
        """Only the socket attached now may type or resize; a refused or replaced one may not."""
        if socket_name == self.reply_channel:
            return True
        logger.warning("terminal %s: input from a socket that is not attached dropped", self.id)
        return False

    def do_input(self, socket_name, text):
        if not self.attached(socket_name):
            return
        self.last_input = time.monotonic()
        self.recording.input(text)
        try:
            self.channel.sendall(text.encode("utf-8"))
        except socket.timeout:
            logger.warning("terminal %s: input dropped, the server is not reading", self.id)

    def do_resize(self, socket_name, cols, rows):
        if not self.attached(socket_name):
            return
        self.cols, self.rows = cols, rows
        self.channel.resize_pty(width=cols, height=rows)
        self.recording.resize(cols, rows)

    def do_attach(self, reply_channel):
        """A socket of the same user takes the session over; the scrollback comes first."""
        if self.reply_channel and self.reply_channel != reply_channel:
            self.send(frames.ended_reply("this session was opened in another window"))
        self.reply_channel, self.detached_at = reply_channel, None
        self.last_input = time.monotonic()
        self.send(frames.connected_reply(self.id, reattached=True))
        for start in range(0, len(self.missed), CHUNK_BYTES):
            self.send({"bytes": bytes(self.missed[start:start + CHUNK_BYTES])})
        self.missed.clear()

    def do_detach(self, reply_channel):
        if reply_channel == self.reply_channel:
            self.reply_channel, self.detached_at = None, time.monotonic()

    def do_stop(self, reply):
        self.send(reply)
        return "service stopped"

    ### Sending ###

    def send(self, message):
        if not self.reply_channel:
            return
        try:
            self.service.layer.send(self.reply_channel, message)
        except self.service.layer.ChannelFull:
            logger.warning("terminal %s: the socket's reply channel is full; output dropped", self.id)
        except REDIS_DOWN as error:
            logger.warning("terminal %s: output dropped, Redis is unavailable (%s)", self.id, error)

    def _close_pipe(self):
        with self._pipe_lock:
            self._pipe_open = False
            os.close(self._wake_r)
            os.close(self._wake_w)
