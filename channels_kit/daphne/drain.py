"""A daphne that stops without dropping anyone: stop listening, announce, read on, close, deliver, exit.

Daphne 1.4 runs Twisted's reactor with its signal handlers: SIGTERM (and
SIGINT) stop the reactor, whose shutdown drops every connection at once. A
client then sees 1006 and backs off, frames it had sent may sit unread in
daphne's buffers, and frames daphne held (a rate, an outage) die with the
process. Twisted lets a ``before shutdown`` trigger return a Deferred and
waits for it with the reactor still running; ``Drain`` is that trigger:

1. It stops listening. Every copy of the listening socket in this process
   is closed (daphne's ``--fd`` adopts a duplicate and leaves the original
   open), after one last accept of what waits in its backlog: a socket
   closed with connections queued resets them. New connections go to the
   daphnes still listening on the port (SO_REUSEPORT), or wait in the
   socket systemd holds for the next one.
2. It announces: every open socket gets the ``service-restart`` error frame
   with ``retry_ms``, the window a client spreads its reconnect over. Clients
   stop sending and reconnect at once.
3. It reads on for ``drain_grace`` seconds, so frames a client sent before
   it saw the notice still reach the layer; a client that closes first ends
   its wait. Then daphne closes the rest with 1012.
4. It waits until what it accepted is delivered: HTTP requests in flight
   answered, every frame and disconnect it holds (for a rate, for a Redis
   outage) sent and answered by Redis. Then the reactor shuts down.

All of it is bounded by ``drain_seconds``; whatever is left then is logged
and dropped. SIGHUP (``systemctl reload``) drains the same way; the unit's
``Restart=always`` starts the next daphne.
"""
import json
import logging
import os
import signal
import sys
import time

from channels_kit.daphne.sockets import close_code, send_text
from channels_kit.layer.roles import Reports, layer_that
from channels_kit.metrics import families as metrics

logger = logging.getLogger(__name__)

# How often the drain looks at what is left (seconds).
TICK = 0.05


def restart_notice(limits):
    """The frame each open socket is told: the error-frame contract, plus ``retry_ms``."""
    return json.dumps({"error": "service-restart",
                       "detail": "this server is restarting; reconnect now and another one "
                                 "takes over",
                       "close": 1012, "retry_ms": limits.drain_retry_ms})


def same_socket_fds(fileno):
    """Every descriptor of this process open on the socket ``fileno`` is, ``fileno`` excepted."""
    target = os.fstat(fileno)
    found = []
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd == fileno:
            continue
        try:
            info = os.fstat(fd)
        except OSError:
            continue  # the directory's own descriptor, gone by now
        if (info.st_ino, info.st_dev) == (target.st_ino, target.st_dev):
            found.append(fd)
    return found


class Drain:
    """Daphne's ``before shutdown`` trigger, over the flow-controlled layer it serves."""

    def __init__(self, flow, limits, reactor, clock=time.monotonic):
        self.flow, self.limits, self.reactor, self.clock = flow, limits, reactor, clock
        self.factories = []      # daphne's HTTPFactory, from the ports it listened on
        self.told = {}           # protocol -> clock() when it was told to reconnect
        self.deadline = None
        self.done = None         # the Deferred the reactor's shutdown waits for
        self.started = None

    @classmethod
    def install(cls, flow, limits):
        """In daphne, whose reactor is imported by now: drain before the reactor shuts down.

        A process without a reactor (a test, a tool building the layer) is
        left alone: importing one would install it.
        """
        reactor = sys.modules.get("twisted.internet.reactor")
        if reactor is None:
            return None
        drain = cls(flow, limits, reactor)
        reactor.addSystemEventTrigger("before", "shutdown", drain.start)
        # Twisted handles SIGTERM and SIGINT; SIGHUP would kill daphne outright.
        reactor.callWhenRunning(signal.signal, signal.SIGHUP, drain.on_sighup)
        return drain

    def on_sighup(self, signum, frame):
        logger.warning("SIGHUP: draining, then exiting for the next daphne to take over")
        self.reactor.callFromThread(self.reactor.stop)

    def start(self):
        from twisted.internet import defer
        self.started = self.clock()
        self.deadline = self.started + self.limits.drain_seconds
        self.stop_listening()
        metrics.DRAINS.inc()
        logger.warning("draining: stopped listening; telling %d sockets to reconnect, "
                       "for up to %g s", len(self.websockets()), self.limits.drain_seconds)
        self.done = defer.Deferred()
        self.tick()
        return self.done

    ### 1. Stop listening ###

    def stop_listening(self):
        from twisted.internet import tcp
        for port in [r for r in self.reactor.getReaders() if isinstance(r, tcp.Port)]:
            self.factories.append(port.factory)
            self.close_port(port)

    def close_port(self, port):
        """Close the listening socket now, after taking in what its backlog holds.

        ``stopListening`` closes only on the reactor's next pass, and the
        connections queued by then are reset; here the last accept and the
        close follow each other directly.
        """
        from twisted.internet import main
        from twisted.python import failure
        others = same_socket_fds(port.fileno())
        port.stopReading()
        while True:  # each doRead accepts up to the port's current batch size
            accepted = port.sessionno
            port.doRead()
            if port.sessionno == accepted:
                break
        for fd in others:
            os.close(fd)
        port.connectionLost(failure.Failure(main.CONNECTION_DONE))

    ### 2-3. Announce, read on, close ###

    def protocols(self):
        for factory in self.factories:
            yield from list(factory.reply_protocols.values())

    def websockets(self):
        return [p for p in self.protocols() if hasattr(p, "STATE_OPEN")]

    def http_in_flight(self):
        return [p for p in self.protocols() if not hasattr(p, "STATE_OPEN")]

    def tell_and_close(self, now):
        """Announce to every open socket not told yet; close those told ``drain_grace`` ago."""
        for protocol in self.websockets():
            if protocol.state != protocol.STATE_OPEN:
                continue  # still connecting (told once open), or closing already
            told = self.told.get(protocol)
            if told is None:
                self.told[protocol] = now
                metrics.SOCKETS_CLOSED.labels("1012").inc()
                send_text(protocol, restart_notice(self.limits))
            elif now - told >= self.limits.drain_grace:
                close_code(protocol, 1012)

    ### 4. Deliver what was accepted ###

    def undelivered(self):
        """What still holds the process: sockets, HTTP requests, frames held, sends unanswered."""
        left = {}
        sockets, requests = len(self.websockets()), len(self.http_in_flight())
        held = sum(len(socket.pending) for socket in self.flow.sockets.values())
        reporting = layer_that(Reports, self.flow.layer)
        unanswered = reporting.sends_unanswered() if hasattr(reporting, "sends_unanswered") else 0
        for name, count in (("sockets", sockets), ("http requests", requests),
                            ("messages held", held), ("sends unanswered", unanswered)):
            if count:
                left[name] = count
        return left

    def tick(self):
        now = self.clock()
        self.tell_and_close(now)
        left = self.undelivered()
        if not left:
            logger.warning("drained in %.1f s: %d sockets told to reconnect, everything they "
                           "sent delivered", now - self.started, len(self.told))
            return self.finish()
        if now >= self.deadline:
            logger.error("drain bound of %g s reached; dropping what is left: %s",
                         self.limits.drain_seconds,
                         ", ".join("%d %s" % (count, name) for name, count in left.items()))
            return self.finish()
        self.reactor.callLater(TICK, self.tick)

    def finish(self):
        done, self.done = self.done, None
        if done is not None:
            done.callback(None)
