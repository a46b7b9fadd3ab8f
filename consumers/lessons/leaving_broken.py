"""Lesson 10, broken, ``/lessons/10-leaving/broken/?name=<name>``: an unordered disconnect.

The mistake: ordering nothing, because "disconnect always comes last". A
socket closed the moment it opens has its disconnect run on the other
worker while connect is still looking its name up: the room hears
``{"left": null}`` before ``{"joined": name}``, and since its discard ran
before connect's add, the closed socket stays in the group, a dead member.

The fix (leaving.py): ``enforce_ordering`` on connect and disconnect.
"""
from channels.routing import route
from channels.sessions import channel_session

from consumers.lessons.leaving import join, leave


@channel_session
def connect(message):
    join(message)


@channel_session
def disconnect(message):
    leave(message)


routes = [
    route("websocket.connect", connect),
    route("websocket.disconnect", disconnect),
]
