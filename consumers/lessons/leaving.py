"""Lesson 10, ``/lessons/10-leaving/?name=<name>``: a disconnect that waits for its connect.

Teaches: disconnect is a message like any other, and can overtake connect.
A socket that closes while its connect is still running (here: connect
accepts at once, then looks the name up) puts ``websocket.disconnect`` on
the layer at once, and the other worker can run it first. It then reads a
session connect has not written, and discards a membership connect has
not yet added: connect adds it afterwards, and the group keeps a dead
member until it expires (``leaving_broken.py``).

Everyone in ``Group("lesson-leaving")`` hears ``{"joined": name}`` and
``{"left": name}``. Ordered, disconnect waits for connect, so ``left``
always follows ``joined`` and names who left.
"""
import json

from channels import Group
from channels.routing import route
from channels.sessions import enforce_ordering

from consumers.lessons.immediate import accept_then_look_up

GROUP = "lesson-leaving"


def join(message):
    accept_then_look_up(message)
    Group(GROUP).add(message.reply_channel)
    tell_everyone({"joined": message.channel_session["name"]})


def leave(message):
    Group(GROUP).discard(message.reply_channel)
    tell_everyone({"left": message.channel_session.get("name")})


def tell_everyone(event):
    Group(GROUP).send({"text": json.dumps(event)}, immediately=True)


@enforce_ordering
def connect(message):
    join(message)


@enforce_ordering
def disconnect(message):
    leave(message)


routes = [
    route("websocket.connect", connect),
    route("websocket.disconnect", disconnect),
]
