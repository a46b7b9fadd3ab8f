"""Lesson 5, ``/lessons/5-swap/``: an ordered group chat whose sends keep their order.

Teaches: buffered sends. Inside a consumer, ``Channel.send`` and
``Group.send`` are held and flushed when the consumer returns.
``enforce_ordering`` releases the socket's next message *before* that
flush: it saves the new counter and requeues the next parked message as
the consumer's last act. The next frame can then run on the other worker
and flush its own send first, so the room hears two lines swapped
(``swap_broken.py``).

``immediately=True`` puts the group send on the layer while the consumer is
still running, before the next frame is released: lines leave in the order
the client sent them.
"""
from channels import Group
from channels.routing import route
from channels.sessions import enforce_ordering

GROUP = "lesson-swap"


def line_of(message):
    return {"text": message.content["text"]}


@enforce_ordering
def connect(message):
    message.reply_channel.send({"accept": True})
    Group(GROUP).add(message.reply_channel)


@enforce_ordering
def receive(message):
    Group(GROUP).send(line_of(message), immediately=True)


@enforce_ordering
def disconnect(message):
    Group(GROUP).discard(message.reply_channel)


routes = [
    route("websocket.connect", connect),
    route("websocket.receive", receive),
    route("websocket.disconnect", disconnect),
]
