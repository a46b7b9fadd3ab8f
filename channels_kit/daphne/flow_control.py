"""Flow control where frames enter the layer: per-socket limits and outages, in daphne.

In Channels 1.x daphne puts the frames of every socket on ONE shared channel,
``websocket.receive``, and the workers drain it first in, first out. A client
that sends faster than the workers drain fills that queue and everyone
else's frames wait behind its backlog. So the limits apply before a frame is
queued: daphne serves the layer object in ``asgi.py``, and wrapping it in
``FlowControlledLayer`` puts every ``send`` daphne makes through this
module, in daphne's own process, with no extra Redis round trip.

Every frame a socket sends goes through the socket's ``pending`` queue,
which is empty unless one of two things holds it back:

- **its rate.** A token bucket (``rate`` frames a second, ``burst`` at once),
  and a fair share of the shared queue: at most ``fair_share`` of the
  socket's frames wait there at once. A socket held back is not closed: daphne stops
  reading it (``pauseProducing`` on its transport), so TCP slows the sender
  down, and the frames it already read go out as its tokens allow. Reading
  resumes once its queue is empty. At most one TCP read (64 KiB) waits in
  daphne per socket.
- **an outage.** While Redis cannot be reached, frames wait in daphne and
  go out in order when it answers again; if it came back empty, each
  socket's connect is sent again first (``outages.py``).

Frame size (``max_frame``, ``frame-too-large``) and sockets per client
address (``max_per_client``, ``too-many-connections``) are refused with the
reply a consumer's ClientError makes; every later frame of a refused socket
is dropped here. A limit of 0 turns that check off. Workers never see a
refused frame, which is also why this cannot live in a consumer decorator.
"""
import collections
import logging
import time

from channels_kit.client_errors import ClientError
from channels_kit.daphne.sockets import (calling_protocol, close_with, closing, pause_reading,
                                         resume_reading)
from channels_kit.daphne.limits import Limits
from channels_kit.daphne.outages import OutageHolding, payload_size
from channels_kit.layer.roles import Reports, layer_that
from channels_kit.metrics import families as metrics
from channels_kit.connections.redis_errors import REDIS_DOWN

logger = logging.getLogger(__name__)


def reactor_call_later(delay, function, *args):
    """``reactor.callLater``, importing the reactor only in daphne, when a timer is first needed.

    Importing ``twisted.internet.reactor`` installs a reactor; a process that
    merely imports this module (a unit test, a tool) should not get one.
    """
    from twisted.internet import reactor
    return reactor.callLater(delay, function, *args)


def counted_out(result):
    """Count a frame (or a handshake's acceptance) daphne takes from a reply channel."""
    message = result[1] if result else None
    if message:
        if "text" in message or "bytes" in message:
            metrics.FRAMES_OUT.inc()
        if message.get("accept"):
            metrics.HANDSHAKES.labels("accepted", "").inc()
    return result


class Socket:
    """What daphne's wrapper remembers about one open socket."""

    def __init__(self, reply_channel, client, tokens, now, counted=True, protocol=None,
                 connect=None, share=0):
        self.reply_channel = reply_channel
        self.client = client
        self.counted = counted      # seen by the workers; False if refused at connect
        self.listed = counted       # in per_client (until daphne reports its disconnect)
        self.tokens = tokens
        self.refilled = now
        self.last_order = 0         # daphne's number of the last frame the workers were given
        self.refused = False
        self.protocol = protocol    # daphne's WebSocketProtocol (None when not run by daphne)
        self.connect = connect      # its websocket.connect, sent again if Redis lost its state
        self.pending = collections.deque()  # (channel, message) read but not yet queued, in order
        self.pending_bytes = 0
        self.offset = 0             # subtracted from daphne's numbers after a replayed connect
        self.paused = False         # daphne stopped reading it
        self.timer = None           # the drain due when its next token is
        self.closed = False         # daphne reported its disconnect (waiting in ``pending``)
        self.replay_due = False     # Redis lost its groups and session: connect again
        self.in_flight = 0          # frames sent to Redis, not answered yet
        # Places in the shared queue of its frames the workers may not have
        # taken yet, oldest first (the layer's still_queued tells); only the
        # last ``share`` matter for the fair share.
        self.queued = collections.deque(maxlen=share or None)
        self.connected_at = now

    def held_frames(self):
        return sum(1 for channel, _ in self.pending if channel == "websocket.receive")


class FlowControlledLayer:
    """A channel layer for daphne that paces sockets and holds frames through outages."""

    def __init__(self, layer, limits=None, watch=None, clock=time.monotonic,
                 call_later=reactor_call_later, **overrides):
        # --- What it wraps and obeys ---
        self.layer = layer
        self.limits = limits if limits is not None else Limits(**overrides)
        self.max_per_client = self.limits.clients_per_daphne()
        self.clock, self.call_later = clock, call_later
        # --- Its sockets ---
        self.sockets = {}
        self.per_client = collections.Counter()
        self.pending_bytes = 0      # over every socket
        # --- The fair share ---
        self.places = None          # the Redis layer telling frames' places (hook_into)
        self.held = {}              # reply channel -> socket held to its fair share
        self.share_timer = None     # the next look at the queue while any is held
        # --- Outages ---
        self.outages = OutageHolding(self, self.limits, watch, clock, call_later)
        self.hook_into(layer)

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

    def receive(self, channels, block=False):
        return self.outages.answered(counted_out(self.layer.receive(channels, block=block)))

    def receive_twisted(self, channels):
        return self.layer.receive_twisted(channels).addCallback(counted_out).addCallback(
            self.outages.answered)

    ### Daphne's three WebSocket events ###

    def on_connect(self, channel, message):
        client = (message.get("client") or ["unknown"])[0]
        reply_channel = message["reply_channel"]
        protocol = calling_protocol(reply_channel)
        if self.max_per_client and self.per_client[client] >= self.max_per_client:
            socket = Socket(reply_channel, client, 0, self.clock(), counted=False, protocol=protocol)
            self.sockets[reply_channel] = socket
            error = ClientError("too-many-connections",
                                "at most %d open sockets per client address" % self.max_per_client)
            metrics.HANDSHAKES.labels("refused", str(error.close_code)).inc()
            return self.refuse(socket, message, error)
        if self.outages.outage_since is not None:
            metrics.HANDSHAKES.labels("refused", "503").inc()
            raise self.layer.ChannelFull(channel)  # daphne answers HTTP 503; clients retry
        try:
            # ChannelFull propagates: daphne answers it with HTTP 503.
            self.layer.send(channel, message)
        except self.layer.ChannelFull:
            metrics.HANDSHAKES.labels("refused", "503").inc()
            raise
        except REDIS_DOWN:
            metrics.HANDSHAKES.labels("refused", "503").inc()
            self.outages.redis_down()
            raise self.layer.ChannelFull(channel)
        metrics.HANDSHAKES.labels("forwarded", "").inc()
        metrics.OPEN_SOCKETS.inc()
        self.per_client[client] += 1
        self.sockets[reply_channel] = Socket(reply_channel, client, self.limits.burst, self.clock(),
                                             protocol=protocol, connect=message,
                                             share=self.limits.fair_share)
        self.outages.start_watch()

    def on_frame(self, channel, message):
        socket = self.sockets.get(message["reply_channel"])
        if socket is None:
            return self.layer.send(channel, message)
        if socket.refused or closing(socket.protocol):
            return
        if self.limits.max_frame and payload_size(message) > self.limits.max_frame:
            detail = "frames are limited to %d characters (bytes if binary)" % self.limits.max_frame
            return self.refuse(socket, message, ClientError("frame-too-large", detail))
        self.hold(socket, channel, message)
        if self.outages.outage_since is not None:
            metrics.FRAMES_HELD.inc()
        if self.outages.outage_since is not None and self.outages.over_outage_bounds(socket):
            return self.give_up(socket, "daphne holds at most %d frames (%d bytes) per socket "
                                        "while Redis is unreachable" % (self.limits.outage_frames,
                                                                        self.limits.outage_bytes))
        self.drain(socket)

    def on_disconnect(self, channel, message):
        socket = self.sockets.get(message["reply_channel"])
        if socket is None:
            return self.send_quietly(channel, message)
        self.release_client(socket)
        if not socket.counted:
            return self.forget(socket)  # refused at connect: no worker ever saw this socket
        socket.closed = True
        if socket.refused:
            # Daphne numbered the frames dropped here too; renumber the
            # disconnect to follow the last frame the workers got, or
            # enforce_ordering would park it forever and the socket would
            # stay in its groups.
            self.forget(socket)
            return self.send_quietly(channel, dict(message, order=socket.last_order + 1 - socket.offset))
        self.hold(socket, channel, message)
        self.drain(socket)

    ### The pending queue ###

    def hold(self, socket, channel, message):
        size = payload_size(message)
        socket.pending.append((channel, message))
        socket.pending_bytes += size
        self.pending_bytes += size

    def drain(self, socket):
        """Queue the socket's pending frames in Redis while its tokens, Redis and replays allow."""
        while socket.pending and self.outages.outage_since is None and not self.outages.replaying():
            channel, message = socket.pending[0]
            if channel == "websocket.receive" and self.limits.rate:
                wait = self.wait_for_token(socket)
                if wait:
                    return self.throttle(socket, wait)
                if self.over_share(socket):
                    return self.hold_to_share(socket)
                socket.tokens -= 1
            try:
                self.forward(socket, channel, message)
            except REDIS_DOWN:
                return self.outages.redis_down()
            except self.layer.ChannelFull:
                return self.give_up(socket, "the server's queue is full")
            self.unhold(socket)
        if not socket.pending:
            if socket.paused:
                socket.paused = False
                resume_reading(socket.protocol)
            if socket.closed:
                self.forget(socket)

    def unhold(self, socket):
        channel, message = socket.pending.popleft()
        size = payload_size(message)
        socket.pending_bytes -= size
        self.pending_bytes -= size

    def forward(self, socket, channel, message):
        if socket.offset:
            message = dict(message, order=message["order"] - socket.offset)
        frame = channel == "websocket.receive"
        if frame and self.places is not None:
            socket.in_flight += 1  # until the layer calls frame_queued
        self.layer.send(channel, message)
        if frame:
            socket.last_order = message["order"] + socket.offset
            metrics.FRAMES_IN.inc()

    def hold_lost_send(self, channel, message):
        """A send the layer made without waiting failed with its connection: hold it again, in order."""
        socket = self.sockets.get(message.get("reply_channel"))
        if channel != "websocket.receive" or socket is None or socket.refused:
            logger.error("Send to %s lost with the connection to Redis", channel)
            return
        order = message["order"] + socket.offset
        message = dict(message, order=order)
        index = sum(1 for _, held in socket.pending if held["order"] < order)
        socket.pending.insert(index, (channel, message))
        size = payload_size(message)
        socket.pending_bytes += size
        self.pending_bytes += size
        socket.last_order = min(socket.last_order, order - 1)
        self.outages.redis_down()

    def pause(self, socket):
        if not socket.paused:
            socket.paused = True
            metrics.SOCKETS_PAUSED.inc()
            pause_reading(socket.protocol)

    ### The token bucket ###

    def wait_for_token(self, socket):
        """0 if the socket has a token for its next frame, else the seconds until it has.

        ``rate`` tokens a second, up to ``burst``: a steady sender never
        waits, a burst beyond ``burst`` goes out at ``rate``.
        """
        now = self.clock()
        rate, burst = self.limits.rate, self.limits.burst
        socket.tokens = min(burst, socket.tokens + (now - socket.refilled) * rate)
        socket.refilled = now
        if socket.tokens < 1 - 1e-9:  # a timer set for the next token may fire a hair early
            return (1 - socket.tokens) / rate
        return 0

    def throttle(self, socket, wait):
        """Stop reading the socket, and drain again in ``wait`` seconds."""
        self.pause(socket)
        if socket.timer is None:
            socket.timer = self.call_later(wait, self.tokens_back, socket)

    def tokens_back(self, socket):
        socket.timer = None
        if self.sockets.get(socket.reply_channel) is socket:
            self.drain(socket)

    ### The fair share ###

    def over_share(self, socket):
        """Whether ``fair_share`` of the socket's frames already wait in the shared queue.

        Every frame in that queue is one that each other socket's next
        frame waits behind. Held to a share, a flooder adds its frames only
        as the workers take them, and a bystander's frame never waits
        behind more than a share of any one socket's backlog. A socket
        doing round trips has one frame there at a time and is never held;
        neither is a fast sender whose frames the workers take as they
        come. Counted: frames sent and not answered yet, and frames Redis
        placed in the queue that, as Redis last said, no worker has taken.
        """
        if self.places is None:
            return False
        queued, still_queued = socket.queued, self.places.still_queued
        while queued and not still_queued(queued[0]):
            queued.popleft()
        return socket.in_flight + len(queued) >= self.limits.fair_share

    def hold_to_share(self, socket):
        """Stop reading the socket until the workers have taken some of its frames."""
        self.pause(socket)
        self.held[socket.reply_channel] = socket
        if self.share_timer is None:
            self.share_timer = self.call_later(self.limits.share_poll, self.look_at_queue)

    def look_at_queue(self):
        """Ask Redis how far the workers have got; then let go of the sockets back under their share.

        Held sockets send nothing, so no send of theirs brings that news.
        One question for all of them, at most one every ``share_poll``.
        """
        asked = self.places.refresh_queued("websocket.receive")
        asked.addBoth(self.release_held)

    def release_held(self, _=None):
        self.share_timer = None
        held, self.held = self.held, {}
        for reply_channel, socket in held.items():
            if self.sockets.get(reply_channel) is socket:
                self.drain(socket)  # held again if still over its share

    def hook_into(self, layer):
        """Take the reports of the kit's Redis layer, under any wrappers around it.

        That layer sends daphne's frames without waiting (channels_kit.layer)
        and reports back: a send lost with the connection (held again, in
        order) and each frame's place in the shared queue (the fair share).
        Stock asgi_redis reports neither, and then neither applies.
        """
        reporting = layer_that(Reports, layer)
        if reporting is not None:
            self.places = reporting.report_to(queued=self.frame_queued, send_lost=self.hold_lost_send)

    def frame_queued(self, channel, message, place):
        """The layer's answer for a send: a frame's place in the queue, or None if it was not queued."""
        if channel != "websocket.receive":
            return
        socket = self.sockets.get(message["reply_channel"])
        if socket is not None and socket.in_flight:
            socket.in_flight -= 1
            if place is not None:
                socket.queued.append(place)

    ### Refusing and closing ###

    def refuse(self, socket, message, error):
        """Tell the socket why (JSON error, then its close code) and drop what it sends next."""
        socket.refused = True
        if socket.counted:
            metrics.SOCKETS_CLOSED.labels(str(error.close_code)).inc()
        logger.warning("closing %s from %s on %s: %s (close %s)", message["reply_channel"],
                       socket.client, message.get("path"), error.error, error.close_code)
        try:
            self.layer.send(message["reply_channel"], error.reply())
        except self.layer.ChannelFull:
            pass
        except REDIS_DOWN:
            close_with(socket.protocol, error)

    def give_up(self, socket, why):
        """Frames of this socket cannot be delivered: say how many, close with 1013."""
        frames = socket.held_frames()
        error = ClientError("service-unavailable", "%s; %d frames you sent were not delivered"
                            % (why, frames))
        logger.warning("closing %s: %s", socket.reply_channel, error.detail)
        self.drop_pending(socket)
        socket.refused = True
        metrics.SOCKETS_CLOSED.labels(str(error.close_code)).inc()
        close_with(socket.protocol, error)

    def drop_pending(self, socket):
        while socket.pending:
            self.unhold(socket)

    def release_client(self, socket):
        if socket.listed:
            socket.listed = False
            self.per_client[socket.client] -= 1
            if not self.per_client[socket.client]:
                del self.per_client[socket.client]

    def forget(self, socket):
        if self.sockets.get(socket.reply_channel) is socket:
            del self.sockets[socket.reply_channel]
            self.held.pop(socket.reply_channel, None)
            if socket.counted:
                metrics.OPEN_SOCKETS.dec()
        if socket.timer is not None:
            socket.timer.cancel()
            socket.timer = None
        self.drop_pending(socket)

    def send_quietly(self, channel, message):
        """A send whose loss only delays clean-up (groups expire): Redis down is logged."""
        try:
            self.layer.send(channel, message)
        except REDIS_DOWN as error:
            logger.warning("%s for %s not sent, Redis is down: %s", channel,
                           message.get("reply_channel"), error)
        except self.layer.ChannelFull:
            pass
