"""Lesson 4, broken, ``/lessons/4-ordering/broken/``: ``enforce_ordering`` on receive only.

The mistake: ordering the handler that reads the session and leaving
connect plain. Connect runs, but unordered, so the socket's counter stays
at 0. The first frame carries ``order`` 1: it is parked, waiting for 0, and
nothing will ever put it back. Every later frame joins it. The client hears
nothing, and the wait channel fills until its messages expire.

The fix is one decorator, on connect (ordering.py).
"""
from channels.routing import route
from channels.sessions import enforce_ordering

from consumers.lessons.ordering import accept, count_frame


def connect(message):
    accept(message)


@enforce_ordering
def receive(message):
    count_frame(message)


routes = [
    route("websocket.connect", connect),
    route("websocket.receive", receive),
]
