"""Lesson 8, ``/lessons/8-refusing/?room=<room>``: refuse a socket so the client learns why.

Teaches: the handshake. Until connect answers, the socket is not open: the
only answer daphne can give a refusal then is HTTP 403, which a browser
reports as a bare close 1006 with no reason (``refusing_broken.py``). And
daphne 1.4 sends no close reason string either. So: accept, send one JSON
frame that says what was wrong, and close with a code of the 4000-4999
range the site documents (4100, invalid-room).

A good room name (1-64 of letters, digits, ``-`` and ``_``) is echoed back:
``{"room": ...}``.
"""
import json
import re
from urllib.parse import parse_qs

from channels.routing import route

ROOM = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
INVALID_ROOM = {"text": json.dumps({"error": "invalid-room",
                                    "detail": "1-64 letters, digits, - or _"}),
                "close": 4100}


def room_in(message):
    query = message.content.get("query_string", b"")
    if isinstance(query, bytes):
        query = query.decode("latin-1")
    room = parse_qs(query).get("room", [""])[0]
    return room if ROOM.match(room) else None


def connect(message):
    message.reply_channel.send({"accept": True})
    room = room_in(message)
    if room is None:
        message.reply_channel.send(INVALID_ROOM)
    else:
        message.reply_channel.send({"text": json.dumps({"room": room})})


routes = [route("websocket.connect", connect)]
