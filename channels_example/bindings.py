"""The data binding that sends every LiveValue change to ws://HOST/live/.

``WebsocketBinding`` connects to the model's pre/post save and delete
signals. On each change it asks ``group_names(instance)`` where the instance
is visible, and sends a multiplexed frame to those groups::

    {"stream": "values",
     "payload": {"action": "create"|"update"|"delete", "pk": 1,
                 "model": "channels_example.livevalue",
                 "data": {"name": "...", "value": "...", "updated_at": "..."}}}

Because it rides on signals, it works from whatever process saves: a worker
running the admin or a view, ``manage.py setvalue``, the shell. That process
must have imported this module (apps.py does it in ``ready()``). Queryset
``.update()`` and raw SQL send no signals, so they reach nobody.

A socket that connects first gets one frame with every current value, in
name order::

    {"stream": "values",
     "payload": {"action": "snapshot", "model": "channels_example.livevalue",
                 "values": [{"pk": 1, "data": {...}}, ...]}}

The socket has joined the group before the values are read, so no change
after the read is missed; but a change made between the join and the read
can arrive before the snapshot. So every frame carries ``updated_at``, and
the page keeps a row's newest data and ignores snapshot rows it has seen
deleted (static/channels_example/live.js).

Inbound (a client sending ``{"stream": "values", "payload": {"action": ...,
"pk": ..., "data": {...}}}``) is allowed for staff only; anything else gets a
JSON error frame and the socket stays open.
"""
import json

from channels.binding.websockets import WebsocketBinding
from django.core.exceptions import ValidationError

from channels_example.models import LiveValue
from channels_kit.client_errors import ClientError
from channels_kit.decorators import is_active_staff

GROUP = "live-values"


class LiveValueBinding(WebsocketBinding):
    model = LiveValue
    stream = "values"
    fields = ["name", "value", "updated_at"]

    @classmethod
    def group_names(cls, instance):
        return [GROUP]

    @classmethod
    def trigger_inbound(cls, message, **kwargs):
        """Connect: send the snapshot; frames: as WebsocketBinding (which ignores connect)."""
        if message.channel.name == "websocket.connect":
            cls().send_snapshot(kwargs["multiplexer"])
        super().trigger_inbound(message, **kwargs)

    def send_snapshot(self, multiplexer):
        multiplexer.send({
            "action": "snapshot",
            "model": self.model_label,
            "values": [{"pk": value.pk, "data": self.serialize_data(value)}
                       for value in LiveValue.objects.all()],
        })

    def has_permission(self, user, action, pk):
        return is_active_staff(user)

    def deserialize(self, message):
        # The demultiplexer has already checked the payload is a JSON object.
        body = json.loads(message["text"])
        action, pk, data = body.get("action"), body.get("pk"), body.get("data")
        if action not in ("create", "update", "delete"):
            raise ClientError("invalid-binding", '"action" must be create, update or delete')
        if action != "create" and not (
            isinstance(pk, int) and LiveValue.objects.filter(pk=pk).exists()
        ):
            raise ClientError("invalid-binding", "no live value with pk %r" % (pk,))
        if action != "delete" and not isinstance(data, dict):
            raise ClientError("invalid-binding", '"data" must be an object')
        return action, pk, data

    def run_action(self, action, pk, data):
        if not self.has_permission(self.user, action, pk):
            raise ClientError("not-allowed", "only staff can change live values")
        super().run_action(action, pk, data)

    def create(self, data):
        self.save_checked(LiveValue(), data)

    def update(self, pk, data):
        self.save_checked(LiveValue.objects.get(pk=pk), data)

    def save_checked(self, instance, data):
        """Apply ``name``/``value`` from ``data`` and save, through model validation."""
        for field in ("name", "value"):
            if field in data:
                setattr(instance, field, data[field])
        try:
            instance.full_clean()
        except ValidationError as invalid:
            raise ClientError("invalid-binding", "; ".join(invalid.messages))
        instance.save()
