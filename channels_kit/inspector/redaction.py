"""What an inspector may show of a message: a copy with the secrets taken out.

A Channels 1.x message carries what its HTTP handshake carried: the
``cookie`` header (the session key), an ``authorization`` header, a
``?token=`` query string; an ``http.response`` carries ``set-cookie``. A
chat frame may carry a pasted JSON Web Token. Staff watch the inspector,
but a session key or a token shown there is a login anyone looking at the
screen can replay, so none of them leaves the process:

- a header, dict key or query parameter whose name says it holds a secret
  (cookie, authorization, token, session, password, secret, csrf) keeps its
  name and loses its value;
- anything JWT-shaped (base64url JSON header "ey..."/"ew...", a dot, a
  payload, a dot, a signature) is replaced wherever it appears in a string;
- bytes (HTTP bodies: a login form's password; binary frames) show only
  their length; header values, which daphne sends as bytes, are decoded
  first and then judged by name like everything else;
- long strings are cut, so one big frame cannot flood the page.
"""
import re
from urllib.parse import parse_qsl, urlencode

REDACTED = "[redacted]"
SECRET_NAME = re.compile(r"cookie|authori[sz]ation|token|jwt|session|password|passwd|secret|csrf",
                         re.IGNORECASE)
# A JSON object's base64url starts "ey" ('{"' or '{ ') or "ew" ('{\n').
JWT_SHAPED = re.compile(r"e[wy][A-Za-z0-9_-]{14,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*")
MAX_TEXT = 400


def redacted(value, name=""):
    """A JSON-ready copy of ``value`` (a message's content) with the secrets removed."""
    if name and SECRET_NAME.search(name):
        return REDACTED
    if isinstance(value, dict):
        return {str(key): redacted(item, str(key)) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        if name == "headers":
            return [header(pair) for pair in value]
        return [redacted(item) for item in value]
    if isinstance(value, bytes):
        if name == "query_string":
            return query_string(value.decode("latin-1"))
        return "<%d bytes>" % len(value)
    if isinstance(value, str):
        return query_string(value) if name == "query_string" else text(value)
    return value


def header(pair):
    """A ``[name, value]`` header pair (bytes from daphne) as text, its value redacted by name."""
    name, value = (part.decode("latin-1") if isinstance(part, bytes) else str(part)
                   for part in pair)
    return [name, REDACTED if SECRET_NAME.search(name) else text(value)]


def query_string(value):
    pairs = parse_qsl(value, keep_blank_values=True)
    shown = [(key, REDACTED if SECRET_NAME.search(key) else item) for key, item in pairs]
    return text(urlencode(shown, safe="[]"))


def text(value):
    value = JWT_SHAPED.sub(REDACTED, value)
    if len(value) > MAX_TEXT:
        return "%s... (%d characters)" % (value[:MAX_TEXT], len(value))
    return value
