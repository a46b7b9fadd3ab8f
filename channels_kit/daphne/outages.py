"""What daphne's layer wrapper does while Redis is away, and when it comes back.

While Redis cannot be reached, a socket's frames wait in its pending queue in
daphne (up to ``outage_frames`` / ``outage_bytes`` per socket and
``outage_total_bytes`` for all) and go out in order when it answers again. A
socket past a bound gets ``service-unavailable`` and 1013; after
``outage_seconds`` every socket is closed (1013 if frames of its were still
waiting, else ``service-restart`` 1012), and the clients reconnect. Daphne
writes those closes itself: Redis is not there to carry them.

If Redis comes back *empty* (restarted without persistence, flushed, a
replica that never had the data), every socket's groups and channel session
went with it. ``RedisWatch`` notices (a marker key is gone), and each open
socket's ``websocket.connect`` is sent again (except on ``reconnect_paths``,
whose sockets are closed with 1012 instead), numbered 0 as daphne numbered
it: the connect consumers add the socket to its groups again and rebuild its
channel session. Its later frames are renumbered to follow (the
``enforce_ordering`` count starts over), and the frames that waited are
released once the replayed connects have been answered.
"""
import logging

from channels_kit.client_errors import ClientError
from channels_kit.daphne.sockets import close_with
from channels_kit.redis_errors import REDIS_DOWN

logger = logging.getLogger("channels_kit.flow_control")


def payload_size(message):
    payload = message.get("text")
    if payload is None:
        payload = message.get("bytes") or b""
    return len(payload)


class OutageHolding:
    """The outage half of ``FlowControlledLayer``, which owns the sockets and their queues."""

    # How long frames wait for the replayed connects to be answered, at most (seconds).
    replay_wait = 2.0

    def init_outages(self, watch, seconds, frames, size, total_size, reconnect_paths):
        self.watch = watch          # RedisWatch, or None (no Redis: no outages to watch)
        # Path prefixes whose sockets are closed with 1012 rather than
        # connected again when Redis lost its state: their connect does more
        # than join groups (opens a shell, say), and their page reconnects
        # to what it had.
        self.reconnect_paths = tuple(reconnect_paths)
        self.outage_seconds = seconds
        self.outage_frames, self.outage_bytes = frames, size
        self.outage_total_bytes = total_size
        self.outage_since = None    # clock() when Redis was found unreachable
        self.awaiting = set()       # reply channels whose replayed connect is unanswered
        self.replay_deadline = None
        self.replay_pending = False  # some socket's replay_due is set
        self.watching = False
        self.probing = False        # clock() when the probe under way started, or False
        self.state_seen_at = None   # when the last probe that found the markers started

    def over_outage_bounds(self, socket):
        return (socket.held_frames() > self.outage_frames
                or socket.pending_bytes > self.outage_bytes
                or self.pending_bytes > self.outage_total_bytes)

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
            replayable = not socket.connect["path"].startswith(self.reconnect_paths)
            if replayable and (unsure_after is None or socket.connected_at < unsure_after):
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
        open_sockets = [socket for socket in self.sockets.values()
                        if not (socket.refused or socket.closed)]
        if open_sockets:
            logger.warning("Redis unreachable for over %g s: closing %d sockets",
                           self.outage_seconds, len(open_sockets))
        for socket in open_sockets:
            if socket.held_frames():
                self.give_up(socket, "Redis was unreachable for over %g s" % self.outage_seconds)
            else:
                self.close_for_restart(socket)

    def close_for_restart(self, socket):
        socket.refused = True
        self.drop_pending(socket)
        close_with(socket.protocol, ClientError(
            "service-restart", "the server lost its connections; reconnect to rejoin"))
