"""Per-user groups: all of one user's sockets share ``Group("user-<id>")``.

Teaches: per-user groups, and why a per-user group needs a user.

Every socket a logged-in user opens (each browser tab, each device) joins
the group named after the user's primary key, so a frame sent on any one of
them is delivered to all of them, and to nobody else. It is the building
block for "notify this user wherever they are": any code holding a user id
can ``Group("user-%d" % user.pk).send(...)``.

The key is the id, not the username: ids never change and
are always valid in a group name; usernames can be renamed and may hold
characters (``@``, ``+``, non-ASCII letters) a group name may not.

Why anonymous connections are refused (``login-required``, close 4201): the
naive version gives every anonymous socket the name "anonymous" and so puts all of
them into ONE group. A per-user group for people the server cannot tell
apart is a shared room of strangers: what one anonymous visitor sends,
every other anonymous visitor receives, on a channel meant to be private.
Without an identity there is no per-user group to join, so we say so and
close.

Handlers are ordered (``enforce_ordering``) and send with
``immediately=True``, for the reasons rooms.py gives. Frames in:
``{"text": "..."}``. Frames out, to all of the user's sockets:
``{"type": "user.message", "user", "text", "ts"}``, ``ts`` being the
server's time when it relayed the frame.
"""
from channels.auth import channel_session_user_from_http
from channels.routing import route

from channels_example.chat import user_group, user_message
from channels_kit.decorators import login_required, ordered_connect, ordered_receive
from channels_kit.frames import chat_text_of
from channels_kit.session_groups import leave_remembered_group


@ordered_connect(channel_session_user_from_http)
@login_required
def connect(message):
    message.channel_session["user_id"] = message.user.pk
    user_group(message.user.pk).add(message.reply_channel)
    message.reply_channel.send({"accept": True})


@ordered_receive
@login_required
def receive(message):
    frame = user_message(message.user.username, chat_text_of(message))
    user_group(message.channel_session["user_id"]).send({"text": frame}, immediately=True)


disconnect = leave_remembered_group("user_id", user_group)


routes = [
    route("websocket.connect", connect),
    route("websocket.receive", receive),
    route("websocket.disconnect", disconnect),
]
