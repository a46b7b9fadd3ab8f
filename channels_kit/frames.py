"""Reading what a client sent: a bad frame raises ClientError, never a traceback."""
import json
import math
from urllib.parse import parse_qs

from channels_kit.client_errors import ClientError


def text_of(message):
    """The text of a websocket.receive message; binary frames are refused."""
    text = message.content.get("text")
    if text is None:
        raise ClientError("text-required", "this endpoint accepts text frames only")
    return text


def finite(text):
    """A JSON number as a float, refused unless finite (``1e400`` would be ``inf``)."""
    number = float(text)
    if not math.isfinite(number):
        raise ValueError("not a finite number: %s" % text[:20])
    return number


def not_json(constant):
    """Python's json reads NaN, Infinity and -Infinity; JSON has none of them."""
    raise ValueError("%s is not JSON" % constant)


def json_of(message):
    """The decoded JSON object of a text frame: strict JSON, so no NaN or Infinity.

    Whatever a consumer echoes back must parse in the browser's JSON.parse,
    which throws on the non-finite numbers Python's json would accept.
    """
    try:
        payload = json.loads(text_of(message), parse_constant=not_json, parse_float=finite)
    except (ValueError, RecursionError):
        # RecursionError: a few thousand nested brackets fit in one frame.
        raise ClientError("invalid-json", "frames must be JSON objects")
    if not isinstance(payload, dict):
        raise ClientError("invalid-json", "frames must be JSON objects")
    return payload


def chat_text_of(message):
    """The ``text`` of a ``{"text": "..."}`` chat frame."""
    text = json_of(message).get("text")
    if not isinstance(text, str) or not text.strip() or not is_utf8(text):
        raise ClientError("invalid-message", 'send {"text": "<non-empty string>"}')
    return text


def is_utf8(text):
    """False for text with lone surrogates (JSON allows "\\ud800"); the layer could not send it."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def query_params(message):
    """A connect message's query string as a dict of value lists.

    Daphne sends bytes; channels.test's WSClient sends str.
    """
    raw = message.content.get("query_string") or ""
    if isinstance(raw, bytes):
        raw = raw.decode("latin-1")
    return parse_qs(raw, keep_blank_values=True)
