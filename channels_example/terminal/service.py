"""The terminal service: the one process that owns every SSH session (``manage.py runterminal``).

It receives on ``terminal.open`` (new sessions and reattaches, sent by the
connect consumer) and on its process-local ``terminal.input.<id>!`` list
(each session's input, resizes and detaches). Every session runs on its own
thread (session.py) and sends its output straight to the socket's reply
channel; this loop only dispatches, so it keeps draining its channels
however many shells are busy.

A session belongs to the user who opened it. The connect consumer refuses a
reattach to anyone else's session before it wires any input (the owners
hash), and this loop checks again on every input: each one names the user
and the socket it came from, and only the owner's attached socket reaches
the shell. A socket whose reattach was refused never attaches, so nothing
it sent is delivered.
"""
import logging

from django.conf import settings

from channels_example.terminal import SERVICE_NAME, frames
from channels_example.terminal.hosts import HostsError, load_hosts
from channels_example.terminal.session import Session
from channels_kit.client_errors import ClientError
from channels_kit.metrics import families
from channels_kit.worker.service import ChannelService

logger = logging.getLogger("channels_example.terminal")

DEFAULT_SIZE = (80, 24)
# Seconds shutdown waits for the sessions to say goodbye.
STOP_SECONDS = 5

OPEN_SESSIONS = families.gauge("channels_terminal_sessions", "Terminal sessions open (SSH shells)")
OPENED = families.counter("channels_terminal_sessions_opened_total", "Terminal sessions opened")


class TerminalService(ChannelService):
    name = SERVICE_NAME

    def handle_open(self, message):
        try:
            if message.get("reattach"):
                self.reattach(message)
            else:
                self.open_session(message)
        except ClientError as error:
            logger.info("terminal open refused (%s): %s", error.error, error.detail)
            self.layer.send(message["reply_channel"], error.reply())

    def open_session(self, message):
        host = host_named(message["alias"])
        owned = [s for s in list(self.objects.values()) if s.user_id == message["user_id"]]
        if len(owned) >= settings.TERMINAL_MAX_SESSIONS:
            raise ClientError("too-many-sessions", "you have %d terminal sessions open, the most "
                              "allowed; close one first" % len(owned))
        session = Session(self, message["session"], host, message["user_id"],
                          message["username"], message["reply_channel"], DEFAULT_SIZE)
        self.objects[session.id] = session
        self.remember_owner(session.id, session.user_id)
        self.remember_socket(session.id, session.reply_channel)
        session.start()
        OPENED.inc()
        OPEN_SESSIONS.inc()

    def reattach(self, message):
        session = self.objects.get(message["session"])
        if (session is None or session.user_id != message["user_id"]
                or session.host.alias != message["alias"]):
            raise ClientError("unknown-session", "no live session %s of yours on %s: it ended, "
                              "or expired while detached" % (message["session"], message["alias"]))
        self.remember_socket(session.id, message["reply_channel"])
        session.post("attach", message["reply_channel"])

    def handle_input(self, object_id, message):
        session = self.objects.get(object_id)
        if session is None:
            logger.debug("input for ended terminal session %s dropped", object_id)
        elif message.get("user_id") != session.user_id:
            logger.warning("terminal: input from user %s for a session of %s (%s) refused",
                           message.get("user_id"), session.username, session.host.alias)
        elif "input" in message:
            session.post("input", message.get("socket"), message["input"])
        elif "resize" in message:
            session.post("resize", message.get("socket"), *message["resize"])
        elif "detach" in message:
            session.post("detach", message["detach"])

    def session_ended(self, session):
        """Called from the session's thread when it is over."""
        if self.objects.pop(session.id, None) is not None:
            OPEN_SESSIONS.dec()
        self.forget_socket(session.id)

    def orphan_reply(self, object_id):
        return frames.SERVICE_GONE

    def shutdown(self):
        sessions = list(self.objects.values())
        for session in sessions:
            session.post("stop", frames.SERVICE_GONE)
        for session in sessions:
            session.join(STOP_SECONDS)


def host_named(alias):
    try:
        host = load_hosts().get(alias)
    except HostsError as error:
        logger.error("terminal hosts file: %s", error)
        host = None
    if host is None:
        raise ClientError("unknown-host", "no host %r is configured for the terminal" % alias)
    return host
