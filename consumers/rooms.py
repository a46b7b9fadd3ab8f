"""Chat rooms (seed 001): ``/chat/<room>/``, the room kept in channel_session.

connect reads the room from the path, checks it, stores it in the socket's
channel_session and joins ``Group("room-<room>")``; receive and disconnect
read it back from the session, as the seed does.

Seed 001 saw receive run before connect had stored the room. Two things
close that race in 1.x:

- ``enforce_ordering`` on every handler: daphne numbers each socket's
  messages (connect is 0) and a message is held in a wait channel until the
  one before it has been consumed, whichever worker picks it up.
- ``immediately=True`` on the group send: a consumer's sends are otherwise
  flushed only after it returns, by which time the next message may already
  be running on another worker and flush first, swapping the room's order.

Frames in: ``{"text": "..."}``. Frames out, to everyone in the room:
``{"room", "user", "text", "ts"}`` with ``ts`` in ISO 8601 UTC.
"""
import json
import re

from channels import Group
from channels.auth import channel_session_user
from channels.routing import route
from channels.security.websockets import allowed_hosts_only
from channels.sessions import enforce_ordering

from channels_example.client_errors import ClientError, reports_client_errors
from channels_example.frames import chat_text_of
from channels_example.jwt_auth import channel_session_user_from_token_or_http
from channels_example.session_groups import leave_remembered_group
from channels_example.timestamps import server_now
from channels_example.users import session_intact, username_of

ROOM_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def room_group(room):
    return Group("room-%s" % room)


def checked_room(room):
    if not ROOM_NAME.match(room):
        raise ClientError("invalid-room", "room names are 1-64 characters of A-Z a-z 0-9 _ -")
    return room


def room_message(room, user, text):
    """The JSON frame every member of the room receives."""
    return json.dumps({
        "room": room,
        "user": user,
        "text": text,
        "ts": server_now(),
    })


@allowed_hosts_only
@enforce_ordering
@channel_session_user_from_token_or_http
@reports_client_errors
def connect(message, room):
    room = checked_room(room)
    message.channel_session["room"] = room
    room_group(room).add(message.reply_channel)
    message.reply_channel.send({"accept": True})


@enforce_ordering
@channel_session_user
@reports_client_errors
@session_intact
def receive(message, room):
    room = message.channel_session["room"]
    text = chat_text_of(message)
    frame = room_message(room, username_of(message.user), text)
    room_group(room).send({"text": frame}, immediately=True)


disconnect = leave_remembered_group("room", room_group)


routes = [
    route("websocket.connect", connect),
    route("websocket.receive", receive),
    route("websocket.disconnect", disconnect),
]
