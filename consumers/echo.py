"""Echo: every frame comes back as sent, text as text, bytes as bytes.

Teaches: the smallest consumer pair, answering on ``message.reply_channel``;
the stock-only version is consumers/lessons/echo.py.
"""
from channels.routing import route

from channels_kit.origin import same_origin_only


@same_origin_only
def connect(message):
    message.reply_channel.send({"accept": True})


def receive(message):
    content = message.content
    if content.get("bytes") is not None:
        message.reply_channel.send({"bytes": content["bytes"]})
    else:
        message.reply_channel.send({"text": content["text"]})


routes = [
    route("websocket.connect", connect),
    route("websocket.receive", receive),
]
