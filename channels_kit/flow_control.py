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

- **its rate.** A token bucket (``rate`` frames a second, ``burst`` at once).
  A socket out of tokens is not closed: daphne stops reading it
  (``pauseProducing`` on its transport), so TCP slows the sender down, and
  the frames it already read go out one per token. Reading resumes once its
  queue is empty. At most one TCP read (64 KiB) waits in daphne per socket.
- **an outage.** While Redis cannot be reached, frames wait in daphne (up to
  ``outage_frames`` / ``outage_bytes`` per socket and ``outage_total_bytes``
  for all) and go out in order when it answers again. A socket past a bound
  gets ``service-unavailable`` and 1013; after ``outage_seconds`` every
  socket is closed (1013 if frames of its were still waiting, else
  ``service-restart`` 1012), and the clients reconnect.

If Redis comes back *empty* (restarted without persistence, flushed, a
replica that never had the data), every socket's groups and channel session
went with it. ``RedisWatch`` notices (a marker key is gone), and each open
socket's ``websocket.connect`` is sent again, numbered 0 as daphne numbered
it: the connect consumers add the socket to its groups again and rebuild its
channel session. Its later frames are renumbered to follow (the
``enforce_ordering`` count starts over), and the frames that waited are
released once the replayed connects have been answered.

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
from channels_kit.daphne_sockets import calling_protocol, close_with, pause_reading, resume_reading
from channels_kit.redis_errors import REDIS_DOWN

logger = logging.getLogger(__name__)


def reactor_call_later(delay, function, *args):
    from twisted.internet import reactor
    return reactor.callLater(delay, function, *args)


def payload_size(message):
    payload = message.get("text")
    if payload is None:
        payload = message.get("bytes") or b""
    return len(payload)


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
        self.connected_at = now

    def held_frames(self):
        return sum(1 for channel, _ in self.pending if channel == "websocket.receive")


class FlowControlledLayer:
    """A channel layer for daphne that paces sockets and holds frames through outages."""

    # How long frames wait for the replayed connects to be answered, at most (seconds).
    replay_wait = 2.0

    def __init__(self, layer, max_frame=0, rate=0, burst=0, max_per_client=0,
                 outage_seconds=10, outage_frames=1000, outage_bytes=2 ** 20,
                 outage_total_bytes=64 * 2 ** 20, watch=None,
                 clock=time.monotonic, call_later=reactor_call_later):
        self.layer = layer
        self.max_frame = max_frame
        self.rate, self.burst = rate, burst
        self.max_per_client = max_per_client
        self.outage_seconds = outage_seconds
        self.outage_frames, self.outage_bytes = outage_frames, outage_bytes
        self.outage_total_bytes = outage_total_bytes
        self.watch = watch          # RedisWatch, or None (no Redis: no outages to watch)
        self.clock, self.call_later = clock, call_later
        self.sockets = {}
        self.per_client = collections.Counter()
        self.pending_bytes = 0      # over every socket
        self.outage_since = None    # clock() when Redis was found unreachable
        self.awaiting = set()       # reply channels whose replayed connect is unanswered
        self.replay_deadline = None
        self.replay_pending = False  # some socket's replay_due is set
        self.watching = False
        self.probing = False        # clock() when the probe under way started, or False
        self.state_seen_at = None   # when the last probe that found the markers started

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
            if channel == "websocket.receive" and self.rate and not self.take_token(socket):
                return self.throttle(socket)
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

    def throttle(self, socket):
        """Out of tokens: stop reading the socket, and drain again when a token is back."""
        if not socket.paused:
            socket.paused = True
            pause_reading(socket.protocol)
        if socket.timer is None:
            delay = max(0.0, (1 - socket.tokens) / self.rate)
            socket.timer = self.call_later(delay, self.tokens_back, socket)

    def tokens_back(self, socket):
        socket.timer = None
        if self.sockets.get(socket.reply_channel) is socket:
            self.drain(socket)

    def take_token(self, socket):
        now = self.clock()
        socket.tokens = min(self.burst, socket.tokens + (now - socket.refilled) * self.rate)
        socket.refilled = now
        if socket.tokens < 1 - 1e-9:  # a timer set for the next token may fire a hair early
            return False
        socket.tokens -= 1
        return True

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

    def over_outage_bounds(self, socket):
        return (socket.held_frames() > self.outage_frames
                or socket.pending_bytes > self.outage_bytes
                or self.pending_bytes > self.outage_total_bytes)

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

    ### Outages ###

    def redis_down(self):
        if self.outage_since is None:
            self.outage_since = self.clock()
            logger.warning("Redis unreachable: holding the frames of %d sockets for up to %g s",
                           len(self.sockets), self.outage_seconds)
        self.start_watch()

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
        self.redis_down()

    def start_watch(self):
        """Place the markers now, then probe every ``watch.interval`` seconds.

        Called on the first connect that reached Redis: a loss is only
        noticed against a marker placed before it.
        """
        if self.watch is None or self.watching:
            return
        self.watching = True
        try:
            self.watch.probe()
        except REDIS_DOWN:
            pass  # placed by the first probe that reaches it
        self.call_later(self.watch.interval, self.watch_tick)

    def watch_tick(self):
        from twisted.internet import threads
        self.call_later(self.watch.interval, self.watch_tick)
        if self.outage_since is not None and self.clock() - self.outage_since > self.outage_seconds:
            self.close_everyone()
        if self.replay_deadline is not None and self.clock() > self.replay_deadline:
            self.replay_finished()
        if not self.probing:
            self.probing = self.clock()
            threads.deferToThread(self.watch.probe).addBoth(self.probed)

    def probed(self, result):
        started, self.probing = self.probing, False
        if not isinstance(result, str):
            if result.check(*REDIS_DOWN):
                return self.redis_down()
            logger.error("Redis probe failed: %s", result.getErrorMessage())
            return
        changed = result == "lost"
        if changed:
            self.lost_state()
        else:
            self.state_seen_at = started
        if self.outage_since is not None:
            logger.warning("Redis answers again after %.1f s; %d bytes of frames held",
                           self.clock() - self.outage_since, self.pending_bytes)
            self.outage_since = None
            changed = True
        if changed or self.replay_pending:
            self.replay_connects()
            self.drain_all()

    def lost_state(self):
        """Mark every socket for a replayed connect, or close it where that would be wrong.

        Without an outage (a flush), a socket that connected after the last
        probe that found the markers may have connected after the flush: its
        session and groups exist, and a second connect would be parked by
        ``enforce_ordering`` forever. It is closed with 1012 and reconnects.
        """
        logger.warning("Redis lost its groups and channel sessions: connecting %d sockets "
                       "again", len(self.sockets))
        unsure_after = self.state_seen_at if self.outage_since is None else None
        for socket in list(self.sockets.values()):
            if not socket.counted or socket.refused:
                continue
            if unsure_after is None or socket.connected_at < unsure_after:
                socket.replay_due = self.replay_pending = True
            elif not socket.closed:
                self.close_for_restart(socket)

    def replay_connects(self):
        """Send each due socket's websocket.connect again; frames wait until they are answered."""
        for reply_channel, socket in list(self.sockets.items()):
            if not socket.replay_due:
                continue
            if socket.closed and not socket.held_frames():
                self.forget(socket)  # gone, and nothing of it left to deliver
                continue
            try:
                self.layer.send("websocket.connect", socket.connect)
            except REDIS_DOWN:
                return self.redis_down()  # the rest stay due for the next probe
            except self.layer.ChannelFull:
                self.close_for_restart(socket)
                continue
            socket.replay_due = False
            socket.offset = socket.last_order
            socket.tokens = self.burst
            self.awaiting.add(reply_channel)
        self.replay_pending = False
        if self.awaiting:
            self.replay_deadline = self.clock() + self.replay_wait

    def replaying(self):
        return bool(self.awaiting) and self.replay_deadline is not None

    def replay_finished(self):
        if self.awaiting:
            logger.warning("%d replayed connects unanswered after %g s", len(self.awaiting),
                           self.replay_wait)
        self.awaiting.clear()
        self.replay_deadline = None
        self.drain_all()

    def answered(self, result):
        """Daphne received ``result``: a reply to a replayed connect lets frames go once all are in."""
        if self.awaiting and result and result[0] in self.awaiting:
            self.awaiting.discard(result[0])
            if not self.awaiting:
                self.call_later(0, self.replay_finished)
        return result

    def receive(self, channels, block=False):
        return self.answered(self.layer.receive(channels, block=block))

    def receive_twisted(self, channels):
        return self.layer.receive_twisted(channels).addCallback(self.answered)

    def drain_all(self):
        for socket in list(self.sockets.values()):
            self.drain(socket)

    def close_everyone(self):
        """Redis stayed away past ``outage_seconds``: close every socket, so clients reconnect."""
        logger.warning("Redis unreachable for over %g s: closing %d sockets",
                       self.outage_seconds, len(self.sockets))
        for socket in list(self.sockets.values()):
            if socket.refused or socket.closed:
                continue
            if socket.held_frames():
                self.give_up(socket, "Redis was unreachable for over %g s" % self.outage_seconds)
            else:
                self.close_for_restart(socket)

    def close_for_restart(self, socket):
        socket.refused = True
        self.drop_pending(socket)
        close_with(socket.protocol, ClientError(
            "service-restart", "the server lost its connections; reconnect to rejoin"))
