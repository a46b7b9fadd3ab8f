"""Lesson 9, ``/lessons/9-immediate/?name=<name>``: an immediate accept, made safe by ordering.

Teaches: the one way a frame can overtake connect. An ``{"accept": True}``
sent with ``immediately=True`` opens the socket while connect is still
running, before it has stored what receive reads. The browser may send at
once, and that frame can run on the other worker straight away
(``immediate_broken.py`` answers it with ``"name": null``).

An accept goes out early when connect has slow work left after deciding
to let the socket in: here a lookup that takes ``LOOKUP_SECONDS``.
``enforce_ordering`` on every handler makes it safe: the early frame is
parked until connect has returned and moved the counter. The site's
terminal (consumers/terminal.py) accepts this way, for the same reason.
"""
import json
import time
from urllib.parse import parse_qs

from channels.routing import route
from channels.sessions import enforce_ordering

from consumers.lessons import pause

LOOKUP_SECONDS = 0.5


def accept_then_look_up(message):
    message.reply_channel.send({"accept": True}, immediately=True)
    pause()  # the socket is open, the session not yet saved: the race window
    query = message.content.get("query_string", b"")
    if isinstance(query, bytes):
        query = query.decode("latin-1")
    time.sleep(LOOKUP_SECONDS)  # stands in for a slow lookup: a database, another service
    message.channel_session["name"] = parse_qs(query).get("name", ["someone"])[0][:32]


def answer(message):
    message.reply_channel.send({"text": json.dumps({
        "name": message.channel_session.get("name"), "text": message.content["text"],
    })}, immediately=True)


@enforce_ordering
def connect(message):
    accept_then_look_up(message)


@enforce_ordering
def receive(message):
    answer(message)


@enforce_ordering
def disconnect(message):
    """Ordered too: it must not run before the frames it follows."""


routes = [
    route("websocket.connect", connect),
    route("websocket.receive", receive),
    route("websocket.disconnect", disconnect),
]
