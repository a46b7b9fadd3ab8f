"""Group chat as a 1.x class-based consumer: ``/cbc/chat/``.

Teaches: class-based consumers, where class attributes stand in for the
decorators and ``connection_groups()`` for the group bookkeeping.

A ``WebsocketConsumer`` subclass is one object per message: the worker
routes ``websocket.connect``, ``.receive`` and ``.disconnect`` to the class,
which instantiates itself and calls ``raw_connect`` / ``raw_receive`` /
``raw_disconnect``. Class attributes stand in for the decorators a function
consumer would carry:

- ``http_user = True``: ``channel_session_user_from_http`` on connect (the
  Django login moves into the channel session) and ``channel_session_user``
  on every message, so ``self.message.user`` is the logged-in user;
- ``strict_ordering = True``: ``enforce_ordering`` on all three, so frames run
  one at a time in the order sent (connect starts the order counter);
- ``connection_groups()``: groups joined in ``raw_connect`` before
  ``connect()`` and left in ``raw_disconnect`` before ``disconnect()``.

Frames in: ``{"text": "..."}``. Out, to everyone on /cbc/chat/:
``{"user", "text", "ts"}``, and ``{"user", "left": true}`` when a socket
closes. The Origin check and the ClientError replies come from
channels_kit.class_consumers.
"""
import json

from channels import Group
from channels.generic.websockets import WebsocketConsumer

from channels_example.chat import username_of
from channels_example.timestamps import server_now
from channels_kit.class_consumers import CheckedConsumerMixin
from channels_kit.frames import chat_text_of

GROUP = "cbc-chat"


class GroupChatConsumer(CheckedConsumerMixin, WebsocketConsumer):
    http_user = True
    strict_ordering = True

    def connection_groups(self, **kwargs):
        return [GROUP]

    def connect(self, message, **kwargs):
        message.reply_channel.send({"accept": True})

    def receive(self, text=None, bytes=None, **kwargs):
        frame = {"user": username_of(self.message.user), "text": chat_text_of(self.message),
                 "ts": server_now()}
        # Without immediately=True the send would leave after this handler
        # returns, after enforce_ordering has let the socket's next frame run
        # on another worker, which could then flush first.
        Group(GROUP).send({"text": json.dumps(frame)}, immediately=True)

    def disconnect(self, message, **kwargs):
        # raw_disconnect has already left the group, so this reaches the others.
        frame = {"user": username_of(message.user), "left": True}
        Group(GROUP).send({"text": json.dumps(frame)})


routes = [GroupChatConsumer.as_route()]
