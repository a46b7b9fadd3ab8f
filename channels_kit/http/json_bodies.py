"""Reading a JSON request body: anything malformed is a ``BadJSON`` with a reason, never a 500.

``json.loads`` raises ``ValueError`` for malformed text, but
``RecursionError`` for text nested deeper than Python's recursion limit
(which a small POST of brackets exceeds), and ``request.body.decode``
raises ``UnicodeDecodeError``. A view that catches only ``ValueError`` turns
the other two into a 500, with DEBUG a debug page listing the settings. The
nesting is measured before parsing, so a deep body costs one linear scan.
"""
import json

# Deeper than any API body this site accepts, far below the recursion limit.
MAX_DEPTH = 32


class BadJSON(ValueError):
    """A body that is not the JSON asked for; ``str()`` is the reason for the client."""


def nesting_depth(text):
    """How deep ``[`` and ``{`` nest in ``text``, outside strings."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def loads(raw, max_depth=MAX_DEPTH):
    """The JSON value in ``raw`` (bytes or text); BadJSON for anything else."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError:
        raise BadJSON("the body is not UTF-8")
    if nesting_depth(text) > max_depth:
        raise BadJSON("JSON nested deeper than %d levels" % max_depth)
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as error:
        raise BadJSON("JSON parse error - %s" % error)


def json_object(raw, max_depth=MAX_DEPTH):
    """The JSON object in ``raw``; BadJSON for anything else, arrays and numbers included."""
    value = loads(raw, max_depth)
    if not isinstance(value, dict):
        raise BadJSON("the body must be a JSON object")
    return value
