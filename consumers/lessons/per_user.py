"""Lesson 7, ``/lessons/7-per-user/``: one group per user, for every tab that user has open.

Teaches: carrying the Django login into a socket. On connect,
``channel_session_user_from_http`` reads the ``sessionid`` cookie of the
handshake and copies the user into the channel session; on later messages
``channel_session_user`` rebuilds ``message.user`` from there. Every socket
of one user joins ``Group("lesson-user-<id>")``, and a frame sent on any of
them reaches all of them.

A per-user group needs a user: an anonymous socket is accepted, told
``{"error": "login-required"}`` and closed with 4201, the site's code for
it. Accepting first is what lets the client read why (lesson 8). The group
is named after the id: ids never change, and are always valid in a group
name. ``per_user_broken.py`` names it after the username, and every
anonymous visitor's username is ``""``.
"""
import json

from channels import Group
from channels.auth import channel_session_user, channel_session_user_from_http
from channels.routing import route
from channels.sessions import enforce_ordering

LOGIN_REQUIRED = {"text": json.dumps({"error": "login-required", "detail": "log in first"}),
                  "close": 4201}


def group_of(user):
    return Group("lesson-user-%d" % user.pk)


def say(message, group):
    group.send({"text": json.dumps({"user": message.user.get_username(),
                                    "text": message.content["text"]})}, immediately=True)


@enforce_ordering
@channel_session_user_from_http
def connect(message):
    message.reply_channel.send({"accept": True})
    if not message.user.is_authenticated:
        message.reply_channel.send(LOGIN_REQUIRED)
        return
    group_of(message.user).add(message.reply_channel)


@enforce_ordering
@channel_session_user
def receive(message):
    if message.user.is_authenticated:
        say(message, group_of(message.user))


@enforce_ordering
@channel_session_user
def disconnect(message):
    if message.user.is_authenticated:
        group_of(message.user).discard(message.reply_channel)


routes = [
    route("websocket.connect", connect),
    route("websocket.receive", receive),
    route("websocket.disconnect", disconnect),
]
