"""The getting-started guide's consumers: accept, echo every frame, nothing on disconnect."""


def ws_connect(message):
    message.reply_channel.send({"accept": True})


def ws_message(message):
    message.reply_channel.send({"text": message.content["text"]})


def ws_disconnect(message):
    pass
