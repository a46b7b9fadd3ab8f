"""Chat rooms: ``/chat/<room>/``, the room kept in channel_session.

connect reads the room from the path, checks it, stores it in the socket's
channel_session and joins ``Group("room-<room>")``; receive and disconnect
read it back from the session, the classic 1.x rooms pattern.

Teaches: per-socket state in channel_session, and ordering. Receive cannot
run before connect has stored the room (daphne holds the handshake until the
buffered accept, sent after the session is saved), but under several
workers two frames of one socket can run at once and their group sends can
swap. Two things close that in 1.x:

- ``enforce_ordering`` on every handler (``ordered_connect`` and
  ``ordered_receive`` apply it, in the right place): daphne numbers each socket's
  messages (connect is 0) and a message is held in a wait channel until the
  one before it has been consumed, whichever worker picks it up. Connect
  must be ordered too: it is what moves the counter past 0.
- ``immediately=True`` on the group send: a consumer's sends are otherwise
  flushed only after it returns, by which time the next message may already
  be running on another worker and flush first, swapping the room's order.

Frames in: ``{"text": "..."}``. Frames out, to everyone in the room:
``{"room", "user", "text", "ts", "id"}`` with ``ts`` in ISO 8601 UTC.

A room remembers (kit: ``channels_kit.history``): a socket that connects
with ``?since=<id>`` (or ``?since=`` on a page that just loaded) first gets
one ``{"history": [...], "complete"}`` frame with what the room said after
that id. Connect joins the group before it reads the history, so nothing
falls between the two.

A room knows who is in it (kit: ``channels_kit.presence``), for sockets
that connect with ``?presence`` (the room page does): such a socket is
counted under its username, or as a guest if anonymous, gets one
``{"present": [...], "guests", "seq"}`` frame after the accept, and
everyone in the room hears ``{"joined"}``, ``{"left"}`` and ``{"guests"}``
frames as people come and go. A socket that does not ask is neither counted
nor sent its ``present``, but hears the room's changes like any member.
"""
import json

from channels.auth import channel_session_user
from channels.routing import route
from channels.sessions import enforce_ordering

from channels_example.chat import (checked_room, presence_label, room_group, room_history,
                                   say_in_room, username_of)
from channels_kit import presence
from channels_kit.decorators import ordered_connect, ordered_receive
from channels_kit.frames import chat_text_of
from channels_kit.history import catch_up
from channels_kit.jwt.auth import channel_session_user_from_token_or_http


@ordered_connect(channel_session_user_from_token_or_http)
def connect(message, room):
    room = checked_room(room)
    message.channel_session["room"] = room
    present = None
    if presence.asked_for(message):
        message.channel_session["present"] = True
        present = presence.join(room_group(room), presence_label(message.user),
                                message.reply_channel)
    else:
        room_group(room).add(message.reply_channel)
    message.reply_channel.send({"accept": True})
    if present is not None:
        message.reply_channel.send({"text": json.dumps(present)})
    catch_up(message, room_history(room))


@ordered_receive
def receive(message, room):
    room = message.channel_session["room"]
    say_in_room(room, username_of(message.user), chat_text_of(message))


@enforce_ordering
@channel_session_user
def disconnect(message, room):
    """Leave the room the session remembers; a socket refused at connect has none."""
    room = message.channel_session.get("room")
    if room is None:
        return
    if message.channel_session.get("present"):
        presence.leave(room_group(room), message.reply_channel)
    else:
        room_group(room).discard(message.reply_channel)


routes = [
    route("websocket.connect", connect),
    route("websocket.receive", receive),
    route("websocket.disconnect", disconnect),
]
