"""Lesson 4, ``/lessons/4-ordering/``: ``enforce_ordering`` on every handler, connect included.

Teaches: what the decorator keeps. Daphne numbers each socket's messages in
``order``: connect is 0, each frame the next number, disconnect the last.
``enforce_ordering`` keeps the number it expects next in the channel
session; a message that arrives early is parked on the socket's wait channel
(``__wait__.<reply channel>``) and put back when the one before it is done.

Connect is ordered not because a frame could overtake it (daphne holds the
handshake until the accept), but because running an ordered connect is what
moves the counter from 0 to 1. ``ordering_broken.py`` orders receive alone:
its first frame, number 1, waits for a 0 that never runs, and so does every
frame after it.

Each frame is answered ``{"frame": n, "text": ...}``, n counting this
socket's frames: the n-th frame sent is always counted n, though its
buffered answer may overtake the one before (lesson 5).
"""
import json

from channels.routing import route
from channels.sessions import enforce_ordering

from consumers.lessons import pause


def accept(message):
    message.reply_channel.send({"accept": True})


def count_frame(message):
    """Answer with this socket's frame count, kept in its channel session."""
    session = message.channel_session
    pause()  # the next frame, taken by the other worker meanwhile, is parked
    session["frames"] = session.get("frames", 0) + 1
    message.reply_channel.send({"text": json.dumps({
        "frame": session["frames"], "text": message.content["text"],
    })})


@enforce_ordering
def connect(message):
    accept(message)


@enforce_ordering
def receive(message):
    count_frame(message)


@enforce_ordering
def disconnect(message):
    """Ordered too: it must not run before the frames it follows."""


routes = [
    route("websocket.connect", connect),
    route("websocket.receive", receive),
    route("websocket.disconnect", disconnect),
]
