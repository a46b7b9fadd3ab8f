"""A ``JsonWebsocketConsumer``: ``/json/`` echoes JSON objects with a server time.

Teaches: the generic ``JsonWebsocketConsumer`` and its hooks.

``JsonWebsocketConsumer`` decodes each text frame and calls
``receive(content)``; ``send(content)`` encodes. In 1.1.8 its decoding is a
bare ``json.loads``, so malformed JSON would be a worker traceback and a
silent socket; JsonFramesMixin decodes with frames.json_of instead, and a bad
frame gets ``{"error": "invalid-json", ...}`` with the socket left open.

In: any JSON object. Out: ``{"echo": <the object>, "ts": <server time>}``.
"""
from channels.generic.websockets import JsonWebsocketConsumer

from channels_example.timestamps import server_now
from channels_kit.class_consumers import CheckedConsumerMixin, JsonFramesMixin


class JsonEchoConsumer(CheckedConsumerMixin, JsonFramesMixin, JsonWebsocketConsumer):
    def receive(self, content, **kwargs):
        self.send({"echo": content, "ts": server_now()})


routes = [JsonEchoConsumer.as_route()]
