"""``/whoami/?token=...``: token auth on a class-based consumer (``WebsocketConsumer`` with a token mixin).

Teaches: authenticating in a mixin of a class-based consumer, and
keeping the result in the channel session.

A site that moves its consumers into a ``WebsocketConsumer`` subclass is
tempted to authenticate inside ``connect()``. Here ``TokenAuthMixin`` does the
authenticating, and the class only uses the result: after connect it sends
``{"user": <username>}``, and answers every later frame the same way. The
later answers come from the channel session (``channel_session_user``), not
from the token, which is what shows the user was kept.

``strict_ordering`` wraps every handler in ``enforce_ordering``, so the
socket's frames run one at a time, in the order sent, and connect starts
the order counter they wait on.

``CheckedConsumerMixin`` comes first: the Origin is checked before the token,
as on every other connect.
"""
import json

from channels.generic.websockets import WebsocketConsumer

from channels_kit.class_consumers import CheckedConsumerMixin
from channels_kit.jwt.auth import TokenAuthMixin


class WhoAmIConsumer(CheckedConsumerMixin, TokenAuthMixin, WebsocketConsumer):
    strict_ordering = True

    def connect(self, message, **kwargs):
        message.reply_channel.send({"accept": True})
        self.send_user()

    def receive(self, text=None, bytes=None, **kwargs):
        self.send_user()

    def send_user(self):
        self.send(text=json.dumps({"user": self.message.user.get_username()}))


routes = [WhoAmIConsumer.as_route()]
