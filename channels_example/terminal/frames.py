"""The terminal socket's frames: what a client may send, and how a session ends.

In: ``{"input": "<text>"}`` and ``{"resize": [cols, rows]}``. Out: the
terminal's output as binary frames, and JSON status frames, first
``{"status": "connected", "session": "<id>"}``, last
``{"status": "ended", "detail", "close"}`` (plus ``"error"`` when the end is
an error, such as an idle timeout) just before the socket closes.
"""
import json

from channels_kit.client_errors import ClientError
from channels_kit.frames import is_utf8, json_of

MAX_COLS = 1000
MAX_ROWS = 1000


def terminal_frame(message):
    """The one forwardable command in a websocket.receive: {"input": str} or {"resize": [c, r]}."""
    frame = json_of(message)
    if set(frame) == {"input"} and isinstance(frame["input"], str) and is_utf8(frame["input"]):
        return {"input": frame["input"]}
    if set(frame) == {"resize"} and valid_size(frame["resize"]):
        return {"resize": list(frame["resize"])}
    raise ClientError("invalid-terminal-frame",
                      'send {"input": "<text>"} or {"resize": [cols, rows]}')


def valid_size(size):
    return (isinstance(size, list) and len(size) == 2
            and all(type(n) is int for n in size)
            and 1 <= size[0] <= MAX_COLS and 1 <= size[1] <= MAX_ROWS)


def connected_reply(session_id, reattached):
    return {"text": json.dumps({"status": "connected", "session": session_id,
                                "reattached": reattached})}


def ended_reply(detail, close=1000, error=None):
    """The last frame of a session and the close, in one message (daphne sends, then closes)."""
    frame = {"status": "ended", "detail": detail, "close": close}
    if error:
        frame["error"] = error
    return {"text": json.dumps(frame), "close": close}


SERVICE_GONE = ended_reply(
    "the terminal service restarted or stopped; this session is gone, open a new one",
    4609, "terminal-unavailable")
