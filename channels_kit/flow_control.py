"""Flow control where frames enter the layer: per-socket limits in daphne.

In Channels 1.x daphne puts the frames of every socket on ONE shared channel,
``websocket.receive``, and the workers drain it first in, first out. A client
that sends faster than the workers drain fills that queue and everyone
else's frames wait behind its backlog; when the queue reaches its capacity
daphne closes whichever socket sends next with 1013, flooder or bystander.

So the limits are applied before a frame is queued. Daphne serves the layer
object in ``asgi.py``; wrapping it in ``FlowControlledLayer`` puts every
``send`` daphne makes through these checks, in daphne's own process, with no
extra Redis round trip:

- frames per socket: a token bucket, ``rate`` frames a second on average
  and ``burst`` at once (error ``rate-limited``);
- frame size: ``max_frame`` characters of text or bytes (``frame-too-large``);
- open sockets per client address: ``max_per_client``
  (``too-many-connections``).

A refused socket is told why with the reply a consumer's ClientError makes (a
JSON error frame, then its 45xx close code), sent on its reply channel, and
every later frame it sends is dropped here, so its backlog stops growing at
once. A limit of 0 turns that check off. Workers never see a refused frame,
which is also why this cannot live in a consumer decorator: by the time a
consumer runs, the frame has already waited in the shared queue.
"""
import collections
import logging
import time

from channels_kit.client_errors import ClientError

logger = logging.getLogger(__name__)


class Socket:
    """What the limits remember about one open socket."""

    def __init__(self, client, tokens, now, counted=True):
        self.client = client
        self.counted = counted  # in per_client; False if refused at connect
        self.tokens = tokens
        self.refilled = now
        self.last_order = 0  # the last message number the workers were given
        self.refused = False


class FlowControlledLayer:
    """A channel layer for daphne that enforces per-socket limits; all else passes through."""

    def __init__(self, layer, max_frame=0, rate=0, burst=0, max_per_client=0,
                 clock=time.monotonic):
        self.layer = layer
        self.max_frame = max_frame
        self.rate, self.burst = rate, burst
        self.max_per_client = max_per_client
        self.clock = clock
        self.sockets = {}
        self.per_client = collections.Counter()

    def __getattr__(self, name):
        return getattr(self.layer, name)

    def send(self, channel, message):
        if channel == "websocket.connect":
            return self.on_connect(channel, message)
        if channel == "websocket.receive":
            return self.on_frame(channel, message)
        if channel == "websocket.disconnect":
            return self.on_disconnect(channel, message)
        return self.layer.send(channel, message)

    def on_connect(self, channel, message):
        client = (message.get("client") or ["unknown"])[0]
        if self.max_per_client and self.per_client[client] >= self.max_per_client:
            socket = Socket(client, 0, self.clock(), counted=False)
            self.sockets[message["reply_channel"]] = socket
            detail = "at most %d open sockets per client address" % self.max_per_client
            return self.refuse(socket, message, ClientError("too-many-connections", detail))
        # ChannelFull propagates: daphne answers it with HTTP 503.
        self.layer.send(channel, message)
        self.per_client[client] += 1
        self.sockets[message["reply_channel"]] = Socket(client, self.burst, self.clock())

    def on_frame(self, channel, message):
        socket = self.sockets.get(message["reply_channel"])
        if socket is None:
            return self.layer.send(channel, message)
        if socket.refused:
            return
        error = self.frame_error(socket, message)
        if error is not None:
            return self.refuse(socket, message, error)
        try:
            self.layer.send(channel, message)
        except self.layer.ChannelFull:
            # Daphne mutes the socket and will send no disconnect for it.
            self.forget(message["reply_channel"])
            raise
        socket.last_order = message["order"]

    def on_disconnect(self, channel, message):
        socket = self.forget(message["reply_channel"])
        if socket is not None and not socket.counted:
            return  # refused at connect: no worker ever saw this socket
        if socket is not None and socket.refused:
            # Daphne numbered the frames dropped here too; renumber the
            # disconnect to follow the last frame the workers got, or
            # enforce_ordering would park it forever and the socket would
            # stay in its groups.
            message = dict(message, order=socket.last_order + 1)
        self.layer.send(channel, message)

    def frame_error(self, socket, message):
        payload = message.get("text")
        if payload is None:
            payload = message.get("bytes") or b""
        if self.max_frame and len(payload) > self.max_frame:
            detail = "frames are limited to %d characters (bytes if binary)" % self.max_frame
            return ClientError("frame-too-large", detail)
        if self.rate and not self.take_token(socket):
            detail = "at most %g frames a second (bursts of %d)" % (self.rate, self.burst)
            return ClientError("rate-limited", detail)
        return None

    def take_token(self, socket):
        now = self.clock()
        socket.tokens = min(self.burst, socket.tokens + (now - socket.refilled) * self.rate)
        socket.refilled = now
        if socket.tokens < 1:
            return False
        socket.tokens -= 1
        return True

    def refuse(self, socket, message, error):
        """Tell the socket why (JSON error, then its close code) and drop what it sends next."""
        socket.refused = True
        logger.warning("closing %s from %s on %s: %s (close %s)", message["reply_channel"],
                       socket.client, message.get("path"), error.error, error.close_code)
        try:
            self.layer.send(message["reply_channel"], error.reply())
        except self.layer.ChannelFull:
            pass

    def forget(self, reply_channel):
        socket = self.sockets.pop(reply_channel, None)
        if socket is not None and socket.counted:
            self.per_client[socket.client] -= 1
            if not self.per_client[socket.client]:
                del self.per_client[socket.client]
        return socket
