"""Reading ClientError replies off a channels.test client's reply channel."""
import json


def error_of(client):
    """The next reply as ``(error name, close code or None)``; fails if there is none."""
    message = client.get_next_message(client.reply_channel)
    assert message is not None, "no reply on %s" % client.reply_channel
    return json.loads(message.content["text"])["error"], message.content.get("close")
