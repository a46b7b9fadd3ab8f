"""Lesson 2, ``/lessons/2-groups/``: one frame in, a copy to every socket in a Group.

Teaches: Groups. connect adds the socket's reply channel to a named group,
receive sends to the group (the layer copies the message to each member),
disconnect takes the socket out again. A socket that dies without its
disconnect running stays a member until the group expires it.

Nothing here keeps per-socket state, so nothing needs ordering yet.
"""
from channels import Group
from channels.routing import route

GROUP = "lesson-groups"


def connect(message):
    message.reply_channel.send({"accept": True})
    Group(GROUP).add(message.reply_channel)


def receive(message):
    Group(GROUP).send({"text": message.content["text"]})


def disconnect(message):
    Group(GROUP).discard(message.reply_channel)


routes = [
    route("websocket.connect", connect),
    route("websocket.receive", receive),
    route("websocket.disconnect", disconnect),
]
