"""Echo: every frame comes back as sent, text as text, bytes as bytes."""
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
