"""Lesson 5, broken, ``/lessons/5-swap/broken/``: an ordered chat with a buffered group send.

The mistake: trusting ``enforce_ordering`` to order what a consumer sends.
It orders when consumers *run*; this receive's group send is buffered and
leaves after the consumer returns, by which time the socket's next frame
may already be running on the other worker. Send a few hundred lines from
one socket, back to back, and a listener in the group hears some of them
swapped.

The fix is ``immediately=True`` on the group send (swap.py).
"""
from channels import Group
from channels.routing import route
from channels.sessions import enforce_ordering

from consumers.lessons.swap import GROUP, line_of

BROKEN_GROUP = GROUP + "-broken"


@enforce_ordering
def join(message):
    message.reply_channel.send({"accept": True})
    Group(BROKEN_GROUP).add(message.reply_channel)


@enforce_ordering
def receive(message):
    Group(BROKEN_GROUP).send(line_of(message))


@enforce_ordering
def leave(message):
    Group(BROKEN_GROUP).discard(message.reply_channel)


routes = [
    route("websocket.connect", join),
    route("websocket.receive", receive),
    route("websocket.disconnect", leave),
]
