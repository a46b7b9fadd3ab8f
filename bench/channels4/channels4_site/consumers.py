"""The two routes the bench drives, written the Channels 4 way.

The frames match the project's consumers/echo.py and consumers/rooms.py
(and bench/reference.py), so the bench's clients cannot tell the servers
apart except by speed.
"""
import datetime
import json

from channels.generic.websocket import AsyncWebsocketConsumer


class EchoConsumer(AsyncWebsocketConsumer):
    """Sends every frame back as it came: text as text, bytes as bytes."""

    async def receive(self, text_data=None, bytes_data=None):
        await self.send(text_data=text_data, bytes_data=bytes_data)


def utc_now():
    """ISO 8601 UTC with milliseconds and a Z, the project's ``ts`` format."""
    now = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds")
    return now.replace("+00:00", "Z")


class RoomConsumer(AsyncWebsocketConsumer):
    """``/chat/<room>/``: every ``{"text"}`` frame goes to everyone in group ``room-<room>``.

    The socket joins the group before accepting, like the project, so a
    client whose handshake completed already receives the room's messages.
    The frame is stamped once at receive, so every member sees the same ts.
    """

    async def connect(self):
        self.room = self.scope["url_route"]["kwargs"]["room"]
        self.group = "room-%s" % self.room
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None):
        text = json.loads(text_data)["text"]
        await self.channel_layer.group_send(
            self.group, {"type": "room.message", "text": text, "ts": utc_now()})

    async def room_message(self, event):
        await self.send(text_data=json.dumps({
            "room": self.room, "user": "anonymous", "text": event["text"], "ts": event["ts"],
        }))
