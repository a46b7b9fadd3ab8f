"""A crowd of chat-room members that behave as socket.js does across a daphne restart.

Each ``Member`` holds one socket on ``/chat/<room>/`` and catches up with
``?since=<the newest id it saw>`` on every connect. On the
``service-restart`` notice it stops sending but reads on until the server's
close, then reconnects after a random delay under the notice's
``retry_ms``, as the pages do. It counts what a user would notice: a refused
handshake, a close without notice, a frame shown twice, the time from the
notice until it was back in its room.
"""
import asyncio
import json
import random
import time

from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from channels_kit.history import id_key

# Handshakes and reads that take longer than this count as refused or lost:
# generous, on two busy cores, as slowness is not loss.
OPEN_TIMEOUT = 60


class Member:
    """One member of a room: its socket across reconnects, and everything it saw."""

    def __init__(self, base_url, origin, room, name, source):
        self.base_url, self.origin, self.room, self.name = base_url, origin, room, name
        self.source = source            # the loopback address it connects from
        self.last_id = ""
        self.shown = {}                 # id -> text, each id once (as socket.js shows it)
        self.texts = []                 # the text of every message shown, in order
        self.sent = []                  # texts it sent
        self.refused = []               # handshakes that failed: (when, why)
        self.unannounced = []           # closes that came without the notice: codes
        self.notices = 0
        self.rejoin_seconds = []        # notice -> history frame of the next connection
        self.notice_at = None
        self.retry_ms = 250             # the last notice's window (socket.js's default without one)
        self.connections = 0
        self.sock = None
        self.joined = asyncio.Event()   # the current connection has its history
        self.restarting = False
        self.stopped = False

    async def run(self):
        """Connect, read until closed, reconnect; until ``stop``."""
        while not self.stopped:
            try:
                self.sock = await ws_connect(
                    "%s/chat/%s/?since=%s" % (self.base_url, self.room, self.last_id),
                    origin=self.origin, compression=None, ping_interval=None, max_queue=None,
                    open_timeout=OPEN_TIMEOUT, close_timeout=5, local_addr=(self.source, 0))
            except (OSError, asyncio.TimeoutError, InvalidHandshake) as error:
                why = error.response.status_code if isinstance(error, InvalidStatus) else error
                self.refused.append((time.monotonic(), repr(why)))
                await asyncio.sleep(0.5)
                continue
            self.connections += 1
            self.restarting = False
            code = await self.read()
            self.joined.clear()
            if self.stopped:
                return
            if not self.restarting:
                self.unannounced.append(code)
            await asyncio.sleep(random.random() * self.retry_ms / 1000.0)

    async def read(self):
        try:
            async for raw in self.sock:
                self.receive(json.loads(raw))
        except ConnectionClosed:
            pass
        return self.sock.close_code

    def receive(self, frame):
        if "history" in frame:
            for message in frame["history"]:
                self.show(message)
            if self.notice_at is not None:
                self.rejoin_seconds.append(time.monotonic() - self.notice_at)
                self.notice_at = None
            self.joined.set()
        elif frame.get("error") == "service-restart":
            self.restarting = True
            self.notices += 1
            self.retry_ms = frame.get("retry_ms", 250)
            self.notice_at = time.monotonic()
        elif "id" in frame:
            self.show(frame)

    def show(self, message):
        if message["id"] not in self.shown:
            self.shown[message["id"]] = message["text"]
            self.texts.append(message["text"])
            if not self.last_id or id_key(message["id"]) > id_key(self.last_id):
                self.last_id = message["id"]

    async def send(self, text):
        """Send ``text`` if the socket is open and not told to reconnect; whether it went."""
        if self.restarting or not self.joined.is_set():
            return False
        try:
            await self.sock.send(json.dumps({"text": text}))
        except ConnectionClosed:
            return False
        self.sent.append(text)
        return True

    async def stop(self):
        self.stopped = True
        if self.sock is not None:
            await self.sock.close()
