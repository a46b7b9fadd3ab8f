"""The ceiling: a plain ``websockets`` asyncio server speaking the project's frames.

``/echo/`` sends every frame back as it came; ``/chat/<room>/`` takes
``{"text": ...}`` and sends ``{"room", "user", "text", "ts"}`` to every
socket in the room, like consumers/rooms.py. No channel layer, no workers,
one process: what the same Python can do when nothing sits between the
socket and the handler.

Run: ``python -m bench.reference PORT``.
"""
import asyncio
import datetime
import json
import re
import sys

from websockets.asyncio.server import broadcast, serve

ROOM_PATH = re.compile(r"^/chat/([A-Za-z0-9_-]{1,64})/$")


def room_frame(room, text):
    ts = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds")
    return json.dumps({"room": room, "user": "anonymous", "text": text,
                       "ts": ts.replace("+00:00", "Z")})


async def echo(websocket):
    async for frame in websocket:
        await websocket.send(frame)


async def chat(websocket, rooms, room):
    members = rooms.setdefault(room, set())
    members.add(websocket)
    try:
        async for frame in websocket:
            text = json.loads(frame)["text"]
            broadcast(members, room_frame(room, text))
    finally:
        members.discard(websocket)


def handler(rooms):
    async def handle(websocket):
        path = websocket.request.path
        room = ROOM_PATH.match(path)
        if path == "/echo/":
            await echo(websocket)
        elif room:
            await chat(websocket, rooms, room.group(1))
        else:
            await websocket.close(4404, "no route")
    return handle


async def main(port):
    async with serve(handler({}), "127.0.0.1", port, compression=None,
                     ping_interval=None, max_queue=None):
        await asyncio.Future()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
