"""Lesson 7, broken, ``/lessons/7-per-user/broken/``: a per-user group for anonymous users too.

The mistake: naming the group after ``user.username`` and letting anyone
in. Every anonymous visitor's username is ``""``, so all of them share
``Group("lesson-name-")``: what one stranger sends, every other stranger
receives. A private channel has become a room.

The fix (per_user.py): refuse a socket without a user, and name the group
after the user's id.
"""
from channels import Group
from channels.auth import channel_session_user, channel_session_user_from_http
from channels.routing import route
from channels.sessions import enforce_ordering

from consumers.lessons.per_user import say


def group_of(user):
    return Group("lesson-name-%s" % user.get_username())


@enforce_ordering
@channel_session_user_from_http
def connect(message):
    message.reply_channel.send({"accept": True})
    group_of(message.user).add(message.reply_channel)


@enforce_ordering
@channel_session_user
def receive(message):
    say(message, group_of(message.user))


@enforce_ordering
@channel_session_user
def disconnect(message):
    group_of(message.user).discard(message.reply_channel)


routes = [
    route("websocket.connect", connect),
    route("websocket.receive", receive),
    route("websocket.disconnect", disconnect),
]
