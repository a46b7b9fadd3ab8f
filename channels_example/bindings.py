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
``.update()`` and raw SQL send no signals, so they reach nobody. The frames
go through ``channels_kit.publish``: a save inside a transaction that rolls
back sends nothing, and one that commits sends once, after the commit.

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
"pk": ..., "data": {...}}}``) is allowed for staff only, checked before the
payload is even read; anything else gets a JSON error frame and the socket
stays open. Types are strict: ``pk`` a positive integer that fits the
database (``true`` is not 1, ``1e30`` is no row), ``data`` only ``name`` and
``value``, both strings (a list is not saved as its ``repr``).
"""
import json

from channels.binding.websockets import WebsocketBinding
from django.core.exceptions import ValidationError

from channels_example.models import LiveValue
from channels_kit import publish
from channels_kit.client_errors import ClientError
from channels_kit.decorators import is_active_staff

GROUP = "live-values"
# The largest primary key SQLite (and a bigint column) can hold; a larger
# integer would overflow in the query, not just miss.
MAX_PK = 2 ** 63 - 1
FIELDS = ("name", "value")


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
        elif not is_active_staff(getattr(message, "user", None)):
            raise ClientError("not-allowed", "only staff can change live values")
        super().trigger_inbound(message, **kwargs)

    def send_messages(self, instance, group_names, action, **kwargs):
        """WebsocketBinding's frames, published when the save's transaction commits."""
        self.signal_kwargs = kwargs
        payload = self.serialize(instance, action)
        if payload:
            for group in group_names:
                publish.to_group(group, self.encode(self.stream, payload))

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
            type(pk) is int and 1 <= pk <= MAX_PK and LiveValue.objects.filter(pk=pk).exists()
        ):
            raise ClientError("invalid-binding", "no live value with pk %s" % json.dumps(pk)[:40])
        if action != "delete":
            checked_data(data)
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


def checked_data(data):
    """``data`` must be an object of string ``name`` / ``value`` fields, nothing else."""
    if not isinstance(data, dict):
        raise ClientError("invalid-binding", '"data" must be an object')
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise ClientError("invalid-binding", '"data" may only hold "name" and "value"')
    if not all(isinstance(data[field], str) for field in data):
        raise ClientError("invalid-binding", '"name" and "value" must be strings')
