"""Lesson 9, broken, ``/lessons/9-immediate/broken/?name=<name>``: an immediate accept, unordered.

The mistake: accepting at once and storing the session afterwards, with
nothing ordering the handlers. A frame sent the moment the socket opens
runs on the other worker while connect is still looking the name up, and
is answered ``"name": null``.

The fix (immediate.py): ``enforce_ordering`` on every handler.
"""
from channels.routing import route
from channels.sessions import channel_session

from consumers.lessons.immediate import accept_then_look_up, answer


@channel_session
def connect(message):
    accept_then_look_up(message)


@channel_session
def receive(message):
    answer(message)


routes = [
    route("websocket.connect", connect),
    route("websocket.receive", receive),
]
