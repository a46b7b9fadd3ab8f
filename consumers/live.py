"""Live values ("tell me when the value changes"), the 1.x way.

Teaches: pushing changes with data binding instead of polling in a loop.

The naive version answers a frame by looping ``while True: sleep(1)`` until a cache
key changes, inside ``receive``. In Channels 1.x that starves the server:

- a worker runs one consumer at a time, so that worker does nothing else
  until the value changes, however long that takes;
- every socket waiting that way holds one worker, so N waiting sockets stop
  N workers, and once all are held every other message (connects, chat
  frames, HTTP requests, which also run in workers here) waits in Redis and
  then expires (60 s), dropped without a word;
- and since sends are buffered until the consumer returns, nothing the loop
  sends leaves before the loop ends anyway.

Instead, nothing waits. A socket on ``/live/`` joins a group when it connects
and its consumer returns at once. The value lives in a model
(``channels_example.models.LiveValue``); whoever changes it (the admin, a
view, ``manage.py setvalue``, the shell) saves it, the model's post_save
signal runs ``LiveValueBinding`` (channels_example/bindings.py) in the saving
process, and that sends one frame to the group. Workers are busy only for the
milliseconds of a connect or a frame.

The socket speaks Channels' multiplexing format, ``{"stream": ..., "payload":
{...}}``, through ``WebsocketDemultiplexer``; the binding's stream is
``values``. Staff can also change values over the socket (``create``,
``update``, ``delete`` payloads); errors come back as ``{"error", "detail"}``
frames and the socket stays open.
"""
from channels.generic.websockets import WebsocketDemultiplexer

from channels_example.bindings import GROUP, LiveValueBinding
from channels_kit.class_consumers import CheckedConsumerMixin, JsonFramesMixin
from channels_kit import privileged
from channels_kit.client_errors import ClientError
from channels_kit.decorators import is_active_staff


class LiveDemultiplexer(CheckedConsumerMixin, JsonFramesMixin, WebsocketDemultiplexer):
    # The user must be known to the binding's has_permission on every frame,
    # and frames must run one at a time, in the order sent.
    http_user = True
    strict_ordering = True

    consumers = {LiveValueBinding.stream: LiveValueBinding.consumer}

    def connection_groups(self, **kwargs):
        """The values group; a staff socket (it may change values) also ends with its staff."""
        user = self.message.user
        if is_active_staff(user):
            return [GROUP, privileged.group_of(user.pk).name]
        return [GROUP]

    def receive(self, content, **kwargs):
        """Refuse frames the stock demultiplexer would answer with a ValueError."""
        stream, payload = content.get("stream"), content.get("payload")
        if stream not in self.consumers or not isinstance(payload, dict):
            raise ClientError(
                "invalid-stream",
                'send {"stream": one of %s, "payload": {...}}' % sorted(self.consumers),
            )
        super().receive(content, **kwargs)


routes = [LiveDemultiplexer.as_route()]
