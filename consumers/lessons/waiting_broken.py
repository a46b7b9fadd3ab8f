"""Lesson 6, broken, ``/lessons/6-waiting/broken/``: a waiter that sleeps in a loop.

The mistake: waiting inside a consumer. ``{"wait": true}`` polls a channel
nobody routes (``lessons.arrivals``) every tenth of a second until an
arrival shows up there or ``WAIT_LIMIT`` passes. One waiter holds one
worker. Two waiters hold both workers of a two-worker split, and the
``{"arrive": true}`` frame that would free them sits in the queue with no
worker to run it: both give up (``{"gave_up": true}``) although the
arrival was sent while they waited. Every other socket on the site waits
too.

The fix is lesson 6 proper (waiting.py): join a group and return.
"""
import json
import time

from channels import Channel
from channels.routing import route

from consumers.lessons.waiting import ANNOUNCED, ARRIVED, WAITING, connect

ARRIVALS = "lessons.arrivals"
WAIT_LIMIT = 3.0  # seconds
GAVE_UP = {"text": json.dumps({"gave_up": True})}


def receive(message):
    frame = json.loads(message.content["text"])
    if frame.get("wait"):
        message.reply_channel.send(WAITING, immediately=True)
        message.reply_channel.send(wait_for_arrival(message.channel_layer))
    elif frame.get("arrive"):
        Channel(ARRIVALS).send({"arrived": True})
        message.reply_channel.send(ANNOUNCED)


def wait_for_arrival(layer):
    """Poll until an arrival is queued or the limit passes, holding this worker throughout."""
    deadline = time.monotonic() + WAIT_LIMIT
    while time.monotonic() < deadline:
        channel, content = layer.receive_many([ARRIVALS], block=False)
        if content is not None:
            return ARRIVED
        time.sleep(0.1)
    return GAVE_UP


routes = [
    route("websocket.connect", connect),
    route("websocket.receive", receive),
]
