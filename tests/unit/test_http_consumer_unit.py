"""The kit's HTTP consumer answers even when the handler fails around the view."""
import json

from channels import DEFAULT_CHANNEL_LAYER, channel_layers
from channels.handler import AsgiHandler
from channels.message import Message
from channels.test import ChannelTestCase

from channels_kit.http.http_consumer import AnsweringViewConsumer

REPLY = "test.http.reply"


class FailsAroundTheView(AsgiHandler):
    def __call__(self, message):
        raise RuntimeError("the response could not be encoded")
        yield  # a generator, as AsgiHandler is


def request(path="/"):
    return Message({"reply_channel": REPLY, "path": path, "method": "GET", "headers": [[b"host", b"127.0.0.1"]]},
                   "http.request", channel_layers[DEFAULT_CHANNEL_LAYER])


class AnsweringViewConsumerTests(ChannelTestCase):
    def test_an_exception_outside_the_view_is_answered_with_a_500(self):
        consumer = AnsweringViewConsumer(static=False)
        consumer.handler = FailsAroundTheView()
        with self.assertLogs("channels_kit.http", "ERROR"):
            consumer(request())
        reply = self.get_next_message(REPLY, require=True).content
        self.assertEqual(reply["status"], 500)
        self.assertEqual(json.loads(reply["content"])["error"], "server-error")

    def test_a_view_answers_as_usual(self):
        AnsweringViewConsumer(static=False)(request("/accounts/login/"))
        self.assertEqual(self.get_next_message(REPLY, require=True).content["status"], 200)
