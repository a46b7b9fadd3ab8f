"""Lesson 8, broken, ``/lessons/8-refusing/broken/?room=<room>``: closing during the handshake.

The mistake: answering a bad connect with ``{"close": True}`` before
accepting. The socket is not open yet, so daphne can only refuse the
handshake (HTTP 403). A browser's ``onclose`` sees code 1006 and no reason;
the user sees a socket that never worked.

The fix (refusing.py): accept, say why in a frame, then close with a code.
"""
import json

from channels.routing import route

from consumers.lessons.refusing import room_in


def connect(message):
    room = room_in(message)
    if room is None:
        message.reply_channel.send({"close": True})
    else:
        message.reply_channel.send({"accept": True})
        message.reply_channel.send({"text": json.dumps({"room": room})})


routes = [route("websocket.connect", connect)]
