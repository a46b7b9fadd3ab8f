"""Lesson 6, ``/lessons/6-waiting/``: wait for an event by joining a Group, not by looping.

Teaches: a worker is a shared resource. A consumer that sleeps in a loop
until something happens holds its worker the whole time; with as many
waiters as workers, no worker is left to run the message they are waiting
for (``waiting_broken.py``).

Here a waiter joins a group and returns at once, freeing its worker;
whoever arrives sends to the group, and the layer delivers to every waiter.
Waiting costs nothing but a group membership.

Frames in: ``{"wait": true}`` (answered ``{"waiting": true}``, later
``{"arrived": true}``) and ``{"arrive": true}`` (answered
``{"announced": true}``).
"""
import json

from channels import Group
from channels.routing import route

GROUP = "lesson-waiting"
WAITING = {"text": json.dumps({"waiting": True})}
ARRIVED = {"text": json.dumps({"arrived": True})}
ANNOUNCED = {"text": json.dumps({"announced": True})}


def connect(message):
    message.reply_channel.send({"accept": True})


def receive(message):
    frame = json.loads(message.content["text"])
    if frame.get("wait"):
        Group(GROUP).add(message.reply_channel)
        message.reply_channel.send(WAITING)
    elif frame.get("arrive"):
        Group(GROUP).send(ARRIVED)
        message.reply_channel.send(ANNOUNCED)


def disconnect(message):
    Group(GROUP).discard(message.reply_channel)


routes = [
    route("websocket.connect", connect),
    route("websocket.receive", receive),
    route("websocket.disconnect", disconnect),
]
