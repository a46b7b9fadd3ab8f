"""Lesson 1, ``/lessons/1-echo/``: a consumer is a function, a socket is a reply channel.

Teaches: the three WebSocket channels (``websocket.connect``, ``.receive``,
``.disconnect``), routing them to functions, and answering on
``message.reply_channel``, the one channel that leads back to this socket.

connect must answer ``{"accept": True}``: daphne holds the handshake until
it does. Every frame the client sends comes back as it was sent.
"""
from channels.routing import route


def connect(message):
    message.reply_channel.send({"accept": True})


def receive(message):
    message.reply_channel.send({"text": message.content["text"]})


routes = [
    route("websocket.connect", connect),
    route("websocket.receive", receive),
]
