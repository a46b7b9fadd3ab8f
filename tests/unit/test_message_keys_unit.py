"""The message-key card against the pinned daphne's source: the keys it sends and the keys it reads.

The card (channels_kit/inspector/message_keys.py) is a teaching aid; this
reads daphne's modules with ``ast`` and compares key sets exactly, so a key
the card invents or forgets fails here.
"""
import ast
import inspect

import daphne.http_protocol
import daphne.server
import daphne.ws_protocol
import pytest

from channels_kit.inspector.message_keys import CARD


def card_keys(channel):
    row = next(row for row in CARD if row["channel"] == channel)
    return {key for key, meaning in row["keys"]}


def tree_of(module):
    return ast.parse(inspect.getsource(module))


def dict_keys(node):
    return {key.value for key in node.keys if isinstance(key, ast.Constant)}


def keys_sent_on(module, channel):
    """The keys of every dict literal daphne's ``module`` sends on ``channel``."""
    found = set()
    for node in ast.walk(tree_of(module)):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "send" and len(node.args) == 2
                and isinstance(node.args[0], ast.Constant) and node.args[0].value == channel
                and isinstance(node.args[1], ast.Dict)):
            found |= dict_keys(node.args[1])
    return found


def connect_keys():
    """websocket.connect is ws_protocol's ``request_info``, sent once the handshake is read."""
    for node in ast.walk(tree_of(daphne.ws_protocol)):
        if (isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Attribute)
                and node.targets[0].attr == "request_info"):
            return dict_keys(node.value)
    raise AssertionError("no request_info in daphne.ws_protocol")


def socket_reply_keys():
    """The set daphne checks a socket's reply against (unknown keys are an error)."""
    for node in ast.walk(tree_of(daphne.http_protocol)):
        if isinstance(node, ast.Set) and all(isinstance(e, ast.Constant) for e in node.elts):
            keys = {e.value for e in node.elts}
            if "accept" in keys:
                return keys
    raise AssertionError("no reply key set in daphne.http_protocol")


def response_keys():
    """The keys ``WebRequest.serverResponse`` reads off a response message."""
    function = next(node for node in ast.walk(tree_of(daphne.http_protocol))
                    if isinstance(node, ast.FunctionDef) and node.name == "serverResponse")
    found = set()
    for node in ast.walk(function):
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
            found.add(node.slice.value)
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr == "get" and isinstance(node.args[0], ast.Constant)):
            found.add(node.args[0].value)
        elif isinstance(node, ast.Compare) and isinstance(node.left, ast.Constant):
            found.add(node.left.value)  # 'status' in message
    return found


@pytest.mark.parametrize("channel, actual", [
    ("websocket.connect", connect_keys),
    ("websocket.receive", lambda: keys_sent_on(daphne.ws_protocol, "websocket.receive")),
    ("websocket.disconnect", lambda: keys_sent_on(daphne.ws_protocol, "websocket.disconnect")),
    ("http.request", lambda: keys_sent_on(daphne.http_protocol, "http.request")),
    ("reply to a socket", socket_reply_keys),
    ("reply to a request", response_keys),
])
def test_the_card_lists_exactly_the_keys_daphne_uses(channel, actual):
    assert card_keys(channel) == actual()


def test_every_key_has_a_one_line_meaning():
    for row in CARD:
        for key, meaning in row["keys"]:
            assert meaning and "\n" not in meaning and len(meaning) <= 90, (row["channel"], key)
