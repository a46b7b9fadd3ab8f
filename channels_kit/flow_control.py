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
  and, while the shared queue is congested, a fair share (``fair_share``
  frames per ``share_seconds``) for each socket. A socket held back is not closed: daphne stops
  reading it (``pauseProducing`` on its transport), so TCP slows the sender
  down, and the frames it already read go out as its tokens allow. Reading
  resumes once its queue is empty. At most one TCP read (64 KiB) waits in
  daphne per socket.
- **an outage.** While Redis cannot be reached, frames wait in daphne and
  go out in order when it answers again; if it came back empty, each
  socket's connect is sent again first (``channels_kit/outages.py``).

Frame size (``max_frame``, ``frame-too-large``) and sockets per client
address (``max_per_client``, ``too-many-connections``) are refused with the
reply a consumer's ClientError makes; every later frame of a refused socket
is dropped here. A limit of 0 turns that check off. Workers never see a
refused frame, which is also why this cannot live in a consumer decorator.
"""
import collections
import logging
import math
import time

from channels_kit.client_errors import ClientError
from channels_kit.daphne_sockets import calling_protocol, close_with, pause_reading, resume_reading
from channels_kit.outages import OutageHolding, payload_size
from channels_kit.redis_errors import REDIS_DOWN

logger = logging.getLogger(__name__)


def reactor_call_later(delay, function, *args):
    """``reactor.callLater``, importing the reactor only in daphne, when a timer is first needed.

    Importing ``twisted.internet.reactor`` installs a reactor; a process that
    merely imports this module (a unit test, a tool) should not get one.
    """
    from twisted.internet import reactor
    return reactor.callLater(delay, function, *args)


class Socket:
    """What daphne's wrapper remembers about one open socket."""

    def __init__(self, reply_channel, client, tokens, now, counted=True, protocol=None,
                 connect=None):
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
        self.recent = 0.0           # frames sent lately (decaying), for the fair share
        self.recent_at = now
        self.connected_at = now

    def held_frames(self):
        return sum(1 for channel, _ in self.pending if channel == "websocket.receive")


class FlowControlledLayer(OutageHolding):
    """A channel layer for daphne that paces sockets and holds frames through outages."""

    # The shared queue is congested from this many waiting frames; then a
    # socket adds at most ``fair_share`` frames per ``share_seconds`` (see
    # wait_before_frame).
    congested_at = 30
    fair_share = 20
    share_seconds = 1.0
    # How often a held socket looks again while the queue is congested (seconds).
    congestion_poll = 0.05

    def __init__(self, layer, max_frame=0, rate=0, burst=0, max_per_client=0,
                 outage_seconds=10, outage_frames=1000, outage_bytes=2 ** 20,
                 outage_total_bytes=64 * 2 ** 20, watch=None, reconnect_paths=(),
                 clock=time.monotonic, call_later=reactor_call_later):
        self.layer = layer
        self.max_frame = max_frame
        self.rate, self.burst = rate, burst
        self.max_per_client = max_per_client
        self.clock, self.call_later = clock, call_later
        self.sockets = {}
        self.per_client = collections.Counter()
        self.pending_bytes = 0      # over every socket
        self.refreshed_at = 0.0     # when the queue's length was last asked for
        self.init_outages(watch, outage_seconds, outage_frames, outage_bytes, outage_total_bytes,
                          reconnect_paths)

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

    ### Daphne's three WebSocket events ###

    def on_connect(self, channel, message):
        client = (message.get("client") or ["unknown"])[0]
        reply_channel = message["reply_channel"]
        protocol = calling_protocol(reply_channel)
        if self.max_per_client and self.per_client[client] >= self.max_per_client:
            socket = Socket(reply_channel, client, 0, self.clock(), counted=False, protocol=protocol)
            self.sockets[reply_channel] = socket
            detail = "at most %d open sockets per client address" % self.max_per_client
            return self.refuse(socket, message, ClientError("too-many-connections", detail))
        if self.outage_since is not None:
            raise self.layer.ChannelFull(channel)  # daphne answers HTTP 503; clients retry
        try:
            # ChannelFull propagates: daphne answers it with HTTP 503.
            self.layer.send(channel, message)
        except REDIS_DOWN:
            self.redis_down()
            raise self.layer.ChannelFull(channel)
        self.per_client[client] += 1
        self.sockets[reply_channel] = Socket(reply_channel, client, self.burst, self.clock(),
                                             protocol=protocol, connect=message)
        self.start_watch()

    def on_frame(self, channel, message):
        socket = self.sockets.get(message["reply_channel"])
        if socket is None:
            return self.layer.send(channel, message)
        if socket.refused:
            return
        if self.max_frame and payload_size(message) > self.max_frame:
            detail = "frames are limited to %d characters (bytes if binary)" % self.max_frame
            return self.refuse(socket, message, ClientError("frame-too-large", detail))
        self.hold(socket, channel, message)
        if self.outage_since is not None and self.over_outage_bounds(socket):
            return self.give_up(socket, "daphne holds at most %d frames (%d bytes) per socket "
                                        "while Redis is unreachable" % (self.outage_frames,
                                                                        self.outage_bytes))
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
        while socket.pending and self.outage_since is None and not self.replaying():
            channel, message = socket.pending[0]
            wait = self.wait_before_frame(socket) if channel == "websocket.receive" else 0
            if wait:
                return self.throttle(socket, wait)
            try:
                self.forward(socket, channel, message)
            except REDIS_DOWN:
                return self.redis_down()
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
        self.layer.send(channel, message)
        if channel == "websocket.receive":
            socket.last_order = message["order"] + socket.offset

    def throttle(self, socket, wait):
        """Stop reading the socket, and drain again in ``wait`` seconds."""
        if not socket.paused:
            socket.paused = True
            pause_reading(socket.protocol)
        if socket.timer is None:
            socket.timer = self.call_later(wait, self.tokens_back, socket)

    def tokens_back(self, socket):
        socket.timer = None
        if self.sockets.get(socket.reply_channel) is socket:
            self.drain(socket)

    def wait_before_frame(self, socket):
        """0 to send the socket's next frame now (it is counted), else seconds to wait.

        Two rules. A token: ``rate`` a second, up to ``burst``. And while the
        shared queue is congested (``congested_at`` frames or more, as Redis
        last told this daphne), a socket may add at most ``fair_share``
        frames per ``share_seconds``: the workers are behind, and every frame
        it adds is one that each other socket's next frame waits behind. A
        socket that has been quiet still sends at once, so a bystander is
        never queued behind a flooder's backlog for long. Each frame let
        through refreshes the queue length it was judged by.
        """
        if not self.rate:
            return 0
        now = self.clock()
        socket.tokens = min(self.burst, socket.tokens + (now - socket.refilled) * self.rate)
        socket.refilled = now
        if socket.tokens < 1 - 1e-9:  # a timer set for the next token may fire a hair early
            return (1 - socket.tokens) / self.rate
        # Frames sent lately, decaying by e every share_seconds.
        socket.recent *= math.exp((socket.recent_at - now) / self.share_seconds)
        socket.recent_at = now
        if socket.recent + 1 > self.fair_share and self.congested():
            self.refresh_queue_length()
            decayed = self.share_seconds * math.log((socket.recent + 1) / self.fair_share)
            return min(decayed, self.congestion_poll) + 1e-3
        socket.tokens -= 1
        socket.recent += 1
        return 0

    def congested(self):
        queued = getattr(self.layer, "queued", None)
        return queued is not None and queued("websocket.receive") >= self.congested_at

    def refresh_queue_length(self):
        """Have the layer ask Redis for the queue's length, at most once per ``congestion_poll``.

        Held sockets send nothing, so no send brings news of the workers
        catching up; without asking, a lone fast sender would be held to
        its fair share long after the queue had drained.
        """
        refresh = getattr(self.layer, "refresh_queued", None)
        now = self.clock()
        if refresh is not None and now - self.refreshed_at >= self.congestion_poll:
            self.refreshed_at = now
            refresh("websocket.receive")

    ### Refusing and closing ###

    def refuse(self, socket, message, error):
        """Tell the socket why (JSON error, then its close code) and drop what it sends next."""
        socket.refused = True
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
