"""Lesson 3, ``/lessons/3-sessions/?name=<name>``: state that belongs to one socket.

Teaches: ``channel_session``, a session keyed by the reply channel. Only
connect sees the query string; it stores the name, and every later frame
reads it back. Answers ``{"name", "text", "frame"}``, ``frame`` counting
this socket's frames.

``enforce_ordering`` sits on all three handlers (it applies
``channel_session`` itself). The first frame cannot overtake connect: daphne
holds the handshake until the buffered accept, which leaves the worker only
after connect's session is saved. Two frames of one socket, though, could
run at once on two workers without it, both reading the same ``frame``
count; lesson 4 is what happens when the decorator is only half there.
The replies are buffered, so two of them can still reach the client swapped
(lesson 5).
"""
import json
from urllib.parse import parse_qs

from channels.routing import route
from channels.sessions import enforce_ordering

from consumers.lessons import pause


def name_in(message):
    query = message.content.get("query_string", b"")
    if isinstance(query, bytes):
        query = query.decode("latin-1")
    return parse_qs(query).get("name", ["someone"])[0][:32]


@enforce_ordering
def connect(message):
    message.channel_session["name"] = name_in(message)
    message.channel_session["frames"] = 0
    pause()  # the browser's socket stays "connecting": daphne holds the handshake
    message.reply_channel.send({"accept": True})


@enforce_ordering
def receive(message):
    session = message.channel_session
    session["frames"] += 1
    message.reply_channel.send({"text": json.dumps({
        "name": session["name"], "text": message.content["text"], "frame": session["frames"],
    })})


@enforce_ordering
def disconnect(message):
    """Ordered too: it must not run before the frames it follows."""


routes = [
    route("websocket.connect", connect),
    route("websocket.receive", receive),
    route("websocket.disconnect", disconnect),
]
