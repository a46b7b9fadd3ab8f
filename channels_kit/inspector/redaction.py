"""What an inspector may show of a message: a copy with the secrets taken out.

A Channels 1.x message carries what its HTTP handshake carried: the
``cookie`` header (the session key), an ``authorization`` header, a
``?token=`` query string; an ``http.response`` carries ``set-cookie``. A
chat frame may carry a pasted JSON Web Token. Staff watch the inspector,
but a session key or a token shown there is a login anyone looking at the
screen can replay, so none of them leaves the process:

- headers are shown from an allowlist of harmless names (host, origin,
  user-agent, ...); every other header keeps its name and loses its value,
  since deployments carry secrets in headers no list of bad names foresees
  (``X-Api-Key``, ``X-Auth``, ``X-Amz-Security-Token``);
- a dict key or query parameter whose name says it holds a secret
  (cookie, authorization, token, session, password, secret, key, csrf)
  keeps its name and loses its value, also inside a text frame that is
  JSON (``{"password": ...}`` typed into a chat);
- anything JWT-shaped (base64url JSON header "ey..."/"ew...", a dot, a
  payload, a dot, a signature) is replaced wherever it appears in a string,
  and so is anything shaped like a session key (Django's 32 lowercase
  letters and digits, the terminal's 16 hex digits) pasted into a frame;
- the frames of private paths (``INSPECTOR_PRIVATE_PATHS``: the terminal's
  keystrokes, a password typed at ``read -s`` among them) are never shown,
  nor what goes to a service's input channels, whose names lose the object
  (session) id;
- bytes (HTTP bodies: a login form's password; binary frames) show only
  their length; header values, which daphne sends as bytes, are decoded
  first and then judged by name like everything else;
- long strings are cut, so one big frame cannot flood the page.
"""
import json
import re
from urllib.parse import parse_qsl, urlencode

from django.conf import settings

REDACTED = "[redacted]"
SECRET_NAME = re.compile(
    r"cookie|authori[sz]ation|token|jwt|session|password|passwd|secret|key|csrf",
    re.IGNORECASE)
# The same, as a "name": "value" pair in text that is not parsed (too long, or not JSON).
SECRET_PAIR = re.compile(r'("[^"]*(?:%s)[^"]*"\s*:\s*)"(?:[^"\\]|\\.)*"' % SECRET_NAME.pattern,
                         re.IGNORECASE)
# Longer frames are not parsed; SECRET_PAIR still finds their secret fields.
MAX_PARSED = 65536
# Headers whose values are shown; the rest are redacted whatever they are called.
SHOWN_HEADERS = {
    "host", "origin", "user-agent", "accept", "accept-encoding", "accept-language",
    "cache-control", "pragma", "connection", "upgrade", "content-type", "content-length",
    "content-language", "date", "server", "vary", "x-frame-options",
    "sec-websocket-version", "sec-websocket-extensions", "sec-websocket-protocol",
    "sec-fetch-site", "sec-fetch-mode", "sec-fetch-dest", "x-forwarded-proto", "x-content-type-options",
}
# A JSON object's base64url starts "ey" ('{"' or '{ ') or "ew" ('{\n').
JWT_SHAPED = re.compile(r"e[wy][A-Za-z0-9_-]{14,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*")
# A Django session key (32 of a-z0-9) or a terminal session id (16 hex digits),
# with at least one letter and one digit so ordinary words stay.
SESSION_SHAPED = re.compile(
    r"\b(?=[0-9a-z]*[0-9])(?=[0-9a-z]*[a-z])(?:[0-9a-z]{32}|[0-9a-f]{16})\b")
# channels_kit.worker.service's input channels: "<name>.input.<service id>!<object id>".
SERVICE_INPUT = re.compile(r"^(.+\.input\.[A-Za-z]{12}!)(.+)$")
MAX_TEXT = 400
CUT = re.compile(r"\.\.\. \(\d+ characters\)")


def redacted_event(event):
    """The event as the inspector may show it: channel names and content redacted."""
    channel = event.get("channel")
    hidden = isinstance(channel, str) and SERVICE_INPUT.match(channel)
    if hidden:
        event["channel"] = hidden.group(1) + REDACTED
    if "content" in event:
        event["content"] = REDACTED if hidden else redacted_content(event["content"])
    return event


def redacted_content(content):
    """A message's content redacted; a private path's frames lose their text and bytes."""
    shown = redacted(content)
    if isinstance(content, dict) and private_path(content.get("path")):
        for field in ("text", "bytes"):
            if field in shown:
                shown[field] = REDACTED
    return shown


def private_path(path):
    if isinstance(path, bytes):
        path = path.decode("latin-1")
    prefixes = getattr(settings, "INSPECTOR_PRIVATE_PATHS", ())
    return isinstance(path, str) and any(path.startswith(prefix) for prefix in prefixes)


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
    return [name, text(value) if name.lower() in SHOWN_HEADERS else REDACTED]


def query_string(value):
    pairs = parse_qsl(value, keep_blank_values=True)
    shown = [(key, REDACTED if SECRET_NAME.search(key) else item) for key, item in pairs]
    return text(urlencode(shown, safe="[]"))


def text(value):
    """A string as shown: a JSON frame's secret fields and any token- or session-shaped part removed."""
    value = SESSION_SHAPED.sub(REDACTED, JWT_SHAPED.sub(REDACTED, json_fields(value)))
    if len(value) > MAX_TEXT and not CUT.fullmatch(value[MAX_TEXT:]):  # cut once, not per redaction
        return "%s... (%d characters)" % (value[:MAX_TEXT], len(value))
    return value


def json_fields(value):
    """``value`` with its secret-named fields redacted, if it is a JSON object or array."""
    if not value.lstrip().startswith(("{", "[")) or len(value) > MAX_PARSED:
        return SECRET_PAIR.sub(r'\1"%s"' % REDACTED, value)
    try:
        parsed = json.loads(value)
    except (ValueError, RecursionError):
        return SECRET_PAIR.sub(r'\1"%s"' % REDACTED, value)
    return json.dumps(redacted_json(parsed), ensure_ascii=False)


def redacted_json(value, name="", depth=0):
    """A parsed frame with secret-named fields redacted (deep nesting is cut, not recursed)."""
    if name and SECRET_NAME.search(name):
        return REDACTED
    if depth > 20:
        return "..."
    if isinstance(value, dict):
        return {key: redacted_json(item, key, depth + 1) for key, item in value.items()}
    if isinstance(value, list):
        return [redacted_json(item, "", depth + 1) for item in value]
    return value
