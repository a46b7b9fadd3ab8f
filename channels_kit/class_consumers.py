"""Mixins that give 1.x class-based consumers the project's rules.

Function consumers get these from decorators (``@same_origin_only``,
``@reports_client_errors``). A class-based consumer is routed as a whole, and
``WebsocketConsumer.get_handler`` wraps whichever method the message's channel
maps to (``raw_connect``, ``raw_receive``, ``raw_disconnect``) in the session,
user and ordering decorators its attributes ask for. So the checks go on those
methods, with Django's ``method_decorator``; they then run *inside*
``enforce_ordering`` (``strict_ordering = True``), which is the order
consumers/rooms.py uses: a ClientError is answered and the handler returns
normally, so the socket's order counter still moves on.

``raw_connect`` is the one that adds the socket to ``connection_groups()``;
checking the Origin there, before ``super()``, means a refused socket never
joins a group.
"""
from django.utils.decorators import method_decorator

from channels_kit.client_errors import reports_client_errors
from channels_kit.frames import json_of
from channels_kit.origin import same_origin_only


class CheckedConsumerMixin:
    """Origin check on connect (scheme, host and port); ClientError answered on connect and receive."""

    @method_decorator([same_origin_only, reports_client_errors])
    def raw_connect(self, message, **kwargs):
        super().raw_connect(message, **kwargs)

    @method_decorator(reports_client_errors)
    def raw_receive(self, message, **kwargs):
        super().raw_receive(message, **kwargs)


class JsonFramesMixin:
    """Decode frames with frames.json_of instead of a bare json.loads.

    ``JsonWebsocketConsumer.raw_receive`` calls ``json.loads`` without
    catching anything and raises ValueError on binary frames: either is a
    worker traceback and, for the client, silence. json_of raises ClientError
    instead (``invalid-json``: the socket stays open; ``text-required``: 4003).
    Put this mixin AFTER CheckedConsumerMixin so the ClientError is reported.
    """

    def raw_receive(self, message, **kwargs):
        self.receive(json_of(message), **kwargs)
