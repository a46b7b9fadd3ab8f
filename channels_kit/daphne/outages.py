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

from channels.sessions import session_for_reply_channel

from channels_kit.client_errors import ClientError
from channels_kit.daphne.sockets import close_with
from channels_kit.metrics import families as metrics
from channels_kit.connections.redis_errors import REDIS_DOWN

logger = logging.getLogger(__name__)


def payload_size(message):
    payload = message.get("text")
    if payload is None:
        payload = message.get("bytes") or b""
    return len(payload)


class OutageHolding:
    """What ``FlowControlledLayer`` does about Redis being away; that layer owns the sockets.

    It calls ``redis_down`` when a send fails for want of Redis, asks
    ``outage_since`` and ``replaying`` before it queues a frame, and is told
    here when to ``drain`` again.
    """

    def __init__(self, flow, limits, watch, clock, call_later):
        # --- Collaborators ---
        self.flow = flow            # the FlowControlledLayer: sockets, their queues, the layer
        self.limits = limits        # Limits: outage_seconds, the bounds, reconnect_paths
        self.watch = watch          # RedisWatch, or None (no Redis: no outages to watch)
        self.clock, self.call_later = clock, call_later

        # --- The outage ---
        self.outage_since = None    # clock() when Redis was found unreachable

        # --- The watch ---
        self.watching = False       # the probes are scheduled
        self.probing = False        # clock() when the probe under way started, or False
        self.state_seen_at = None   # when the last probe that found the markers started

        # --- Connects replayed after Redis lost its state ---
        self.awaiting = set()       # reply channels whose replayed connect is unanswered
        self.replay_deadline = None  # clock() past which held frames go without those answers
        self.replay_pending = False  # some socket's replay_due is set

    def over_outage_bounds(self, socket):
        return (socket.held_frames() > self.limits.outage_frames
                or socket.pending_bytes > self.limits.outage_bytes
                or self.flow.pending_bytes > self.limits.outage_total_bytes)

    def redis_down(self):
        if self.outage_since is None:
            self.outage_since = self.clock()
            metrics.OUTAGES.inc()
            logger.warning("Redis unreachable: holding the frames of %d sockets for up to %g s",
                           len(self.flow.sockets), self.limits.outage_seconds)
        self.start_watch()

    def start_watch(self):
        """Place the markers now, then probe every ``watch_interval`` seconds.

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
        self.call_later(self.limits.watch_interval, self.watch_tick)

    def watch_tick(self):
        from twisted.internet import threads
        self.call_later(self.limits.watch_interval, self.watch_tick)
        since, seconds = self.outage_since, self.limits.outage_seconds
        if since is not None and self.clock() - since > seconds:
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
        if changed or self.outage_since is not None:
            metrics.RECOVERIES.labels("lost" if changed else "kept").inc()
        if changed:
            self.lost_state()
        else:
            self.state_seen_at = started
        if self.outage_since is not None:
            logger.warning("Redis answers again after %.1f s; %d bytes of frames held",
                           self.clock() - self.outage_since, self.flow.pending_bytes)
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
                       "again", len(self.flow.sockets))
        unsure_after = self.state_seen_at if self.outage_since is None else None
        for socket in list(self.flow.sockets.values()):
            if not socket.counted or socket.refused:
                continue
            replayable = not socket.connect["path"].startswith(self.limits.reconnect_paths)
            if replayable and (unsure_after is None or socket.connected_at < unsure_after):
                socket.replay_due = self.replay_pending = True
            elif not socket.closed:
                self.close_for_restart(socket)

    def replay_connects(self):
        """Send each due socket's websocket.connect again; frames wait until they are answered."""
        for reply_channel, socket in list(self.flow.sockets.items()):
            if not socket.replay_due:
                continue
            if socket.closed and not socket.held_frames():
                self.flow.forget(socket)  # gone, and nothing of it left to deliver
                continue
            try:
                forget_session(reply_channel)
                self.flow.layer.send("websocket.connect", socket.connect)
            except REDIS_DOWN:
                return self.redis_down()  # the rest stay due for the next probe
            except self.flow.layer.ChannelFull:
                self.close_for_restart(socket)
                continue
            socket.replay_due = False
            socket.offset = socket.last_order
            socket.tokens = self.limits.burst
            self.awaiting.add(reply_channel)
        self.replay_pending = False
        if self.awaiting:
            self.replay_deadline = self.clock() + self.limits.replay_wait

    def replaying(self):
        return bool(self.awaiting) and self.replay_deadline is not None

    def replay_finished(self):
        if self.awaiting:
            logger.warning("%d replayed connects unanswered after %g s", len(self.awaiting),
                           self.limits.replay_wait)
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

    def drain_all(self):
        for socket in list(self.flow.sockets.values()):
            self.flow.drain(socket)

    def close_everyone(self):
        """Redis stayed away past ``outage_seconds``: close every socket, so clients reconnect."""
        open_sockets = [socket for socket in self.flow.sockets.values()
                        if not (socket.refused or socket.closed)]
        if open_sockets:
            logger.warning("Redis unreachable for over %g s: closing %d sockets",
                           self.limits.outage_seconds, len(open_sockets))
        for socket in open_sockets:
            if socket.held_frames():
                self.flow.give_up(socket, "Redis was unreachable for over %g s"
                                  % self.limits.outage_seconds)
            else:
                self.close_for_restart(socket)

    def close_for_restart(self, socket):
        socket.refused = True
        metrics.SOCKETS_CLOSED.labels("1012").inc()
        self.flow.drop_pending(socket)
        close_with(socket.protocol, ClientError(
            "service-restart", "the server lost its connections; reconnect to rejoin"))


def forget_session(reply_channel):
    """Delete a socket's channel session before its connect is replayed.

    A lone Redis that lost its groups lost the sessions with them. On a
    Redis Cluster (or asgi_redis's shards) one master can lose the groups
    while the session, in another slot, survives, and its
    ``enforce_ordering`` counter, past the replayed connect's order 0, would
    park that connect forever. Without the session, every replay is the
    fresh connect it is everywhere else.
    """
    session_for_reply_channel(reply_channel).delete()
