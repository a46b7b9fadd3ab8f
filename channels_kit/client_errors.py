"""Client errors: how a consumer tells the browser *why* it said no.

A consumer raises ``ClientError("invalid-json", "...")``; the
``reports_client_errors`` decorator turns it into one reply on the socket: a
JSON frame ``{"error": <name>, "detail": <text>}`` and, for fatal errors, a
close with the error's code from ``CLOSE_CODES``.

The reply also carries ``accept``. Daphne 1.4 turns a close that arrives while
the handshake is still pending into an HTTP 403, which a browser reports as a
bare 1006 with no reason; accepting first is what lets the client read the
frame and the 4xxx code. On an already open socket ``accept`` is a no-op.
"""
import functools
import json
import logging

logger = logging.getLogger(__name__)

# Error name -> WebSocket close code, or None to report and keep the socket
# open: the kit's own errors. A site adds its errors with ``register`` (from
# its AppConfig.ready), so a deployment's names never live in the kit.
# Ranges: 40xx frames and protocol, 41xx the site's resources, 42xx session
# auth, 43xx JWT, 44xx the site's features, 45xx flow control and limits,
# 46xx services (the kit's inspector, the site's own); 1012 and 1013
# (standard codes) tell the client to reconnect after a Redis outage.
CLOSE_CODES = {
    "invalid-json": None,
    "invalid-message": None,
    "message-lost": None,
    "text-required": 4003,
    "invalid-since": 4005,
    "login-required": 4201,
    "session-ended": 4202,
    "staff-required": 4203,
    "access-revoked": 4205,
    "token-missing": 4300,
    "token-malformed": 4301,
    "token-bad-signature": 4302,
    "token-expired": 4303,
    "token-unknown-user": 4304,
    "token-inactive-user": 4305,
    "token-invalid-claim": 4306,
    "frame-too-large": 4501,
    "too-many-connections": 4502,
    "inspector-unavailable": 4600,
    # Not refusals: the standard "come back" codes, on which clients reconnect.
    "service-restart": 1012,
    "service-unavailable": 1013,
}


def register(codes):
    """Add a site's error names to ``CLOSE_CODES``; a name may not change its code."""
    for name, code in codes.items():
        if CLOSE_CODES.get(name, code) != code:
            raise ValueError("error %r already closes with %s" % (name, CLOSE_CODES[name]))
        CLOSE_CODES[name] = code


class ClientError(Exception):
    """Something the client did wrong; carries the name the client is told."""

    def __init__(self, error, detail):
        super().__init__(error, detail)
        self.error = error
        self.detail = detail

    @property
    def close_code(self):
        return CLOSE_CODES[self.error]

    def reply(self):
        """The one channel message that reports this error to the socket.

        A fatal error's frame names its close code too. A close frame can be
        lost where the error frame was not: daphne resets the connection if
        the client is slow to answer its close, and a loaded browser then
        reports 1006. With the code in the frame, a client still knows it
        was refused and why, and does not reconnect to be refused again.
        """
        frame = {"error": self.error, "detail": self.detail}
        reply = {"accept": True}
        if self.close_code is not None:
            frame["close"] = reply["close"] = self.close_code
        reply["text"] = json.dumps(frame)
        return reply


def reports_client_errors(consumer):
    """Answer a ClientError raised by ``consumer`` on the message's reply channel."""

    @functools.wraps(consumer)
    def inner(message, *args, **kwargs):
        try:
            return consumer(message, *args, **kwargs)
        except ClientError as error:
            logger.info(
                "client error %s on %s: %s (close %s)",
                error.error, message.content.get("path"), error.detail, error.close_code,
            )
            message.reply_channel.send(error.reply(), immediately=True)

    return inner

