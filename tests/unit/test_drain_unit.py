"""channels_kit.daphne.drain without daphne: what a stopping daphne does, step by step, on a fake clock.

The protocols stand in for daphne's WebSocketProtocol (its states, the
frames written to it); the listening port is a real socket, as the kernel
sees it: once drained, a connection to it is refused.
"""
import json
import logging
import os
import socket

import pytest
from twisted.internet import tcp

from channels_kit.daphne.drain import TICK, Drain
from channels_kit.daphne.limits import Limits


class Protocol:
    STATE_CONNECTING, STATE_OPEN, STATE_CLOSING = 0, 1, 2

    def __init__(self, state=STATE_OPEN):
        self.state = state
        self.frames, self.closes = [], []

    def sendMessage(self, payload, binary):
        self.frames.append(json.loads(payload.decode()))

    def sendCloseFrame(self, code, isReply):
        self.closes.append(code)
        self.state = self.STATE_CLOSING


class Factory:
    def __init__(self, *protocols):
        self.reply_protocols = {"daphne.response.x!%d" % n: p for n, p in enumerate(protocols)}


class Port(tcp.Port):
    """A listening socket as Twisted's Port holds it: a duplicate of the one daphne was given."""

    def __init__(self, sock, factory):
        self.socket, self.factory, self.sessionno = sock, factory, 0
        self.accepted = []

    def fileno(self):
        return self.socket.fileno()

    def stopReading(self):
        pass

    def doRead(self):
        self.socket.setblocking(False)
        try:
            self.accepted.append(self.socket.accept()[0])
            self.sessionno += 1
        except BlockingIOError:
            pass

    def connectionLost(self, reason):
        self.socket.close()


class Reactor:
    def __init__(self, clock, readers=()):
        self.clock, self.readers, self.calls = clock, list(readers), []

    def getReaders(self):
        return self.readers

    def callLater(self, delay, function, *args):
        self.calls.append((self.clock.now + delay, function, args))

    def run_for(self, seconds):
        end = self.clock.now + seconds
        while self.calls and self.clock.now < end:
            self.calls.sort(key=lambda call: call[0])
            when, function, args = self.calls.pop(0)
            self.clock.now = max(self.clock.now, when)
            function(*args)


class Clock:
    now = 100.0

    def __call__(self):
        return self.now


class Flow:
    """The flow-controlled layer's side: its sockets and their held frames."""

    def __init__(self):
        self.sockets, self.layer = {}, object()


class Held:
    def __init__(self, frames):
        self.pending = list(frames)


@pytest.fixture
def clock():
    return Clock()


def drain_of(clock, *protocols, flow=None, **limits):
    reactor = Reactor(clock)
    drain = Drain(flow or Flow(), Limits(**limits), reactor, clock=clock)
    drain.factories.append(Factory(*protocols))
    return drain, reactor


def started(drain):
    finished = []
    drain.stop_listening = lambda: None  # no port here: the test below has one
    drain.start().addCallback(finished.append)
    return finished


def test_open_sockets_are_told_first_then_closed_with_1012_after_the_grace(clock):
    open_one, connecting = Protocol(), Protocol(Protocol.STATE_CONNECTING)
    drain, reactor = drain_of(clock, open_one, connecting, drain_grace=1.0, drain_retry_ms=300)
    started(drain)
    notice = {"error": "service-restart", "close": 1012, "retry_ms": 300}
    assert [{k: f[k] for k in notice} for f in open_one.frames] == [notice]
    assert open_one.frames[0]["detail"] and open_one.closes == []
    connecting.state = Protocol.STATE_OPEN  # accepted during the drain: told too
    reactor.run_for(0.5)
    assert len(connecting.frames) == 1 and open_one.closes == [] and len(open_one.frames) == 1
    reactor.run_for(0.6)
    assert open_one.closes == [1012]
    reactor.run_for(0.5)
    assert connecting.closes == [1012]


def test_a_socket_that_closes_itself_on_the_notice_is_not_closed_again(clock):
    polite = Protocol()
    drain, reactor = drain_of(clock, polite)
    started(drain)
    polite.state = Protocol.STATE_CLOSING  # the client answered the notice with its close
    reactor.run_for(2)
    assert polite.closes == []


def test_the_drain_ends_once_sockets_are_gone_and_held_frames_delivered(clock, caplog):
    flow = Flow()
    flow.sockets["a"] = Held([("websocket.receive", {"text": "late"})])
    protocol = Protocol()
    drain, reactor = drain_of(clock, protocol, flow=flow)
    finished = started(drain)
    reactor.run_for(3)
    assert finished == []  # its socket is still there
    drain.factories[0].reply_protocols.clear()  # daphne dropped it after the close
    reactor.run_for(1)
    assert finished == []  # a frame it read is still held
    flow.sockets["a"].pending.clear()
    with caplog.at_level(logging.WARNING, "channels_kit.daphne.drain"):
        reactor.run_for(TICK * 2)
    assert finished == [None]
    assert "1 sockets told to reconnect, everything they sent delivered" in caplog.text


def test_a_drain_that_cannot_finish_ends_at_its_bound_and_says_what_is_dropped(clock, caplog):
    stuck = Protocol(Protocol.STATE_CONNECTING)  # never answered
    drain, reactor = drain_of(clock, stuck, drain_seconds=5)
    finished = started(drain)
    reactor.run_for(4.9)
    assert finished == []
    with caplog.at_level(logging.ERROR, "channels_kit.daphne.drain"):
        reactor.run_for(0.2)
    assert finished == [None]
    assert "drain bound of 5 s reached; dropping what is left: 1 sockets" in caplog.text


def test_stopping_listening_takes_in_the_backlog_and_closes_every_copy(clock):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    address = listener.getsockname()
    # Daphne's --fd adopts a duplicate, as Twisted does; the original stays open.
    port = Port(socket.socket(fileno=os.dup(listener.fileno())), Factory())
    waiting = [socket.create_connection(address) for _ in range(3)]
    drain = Drain(Flow(), Limits(), Reactor(clock, [port]), clock=clock)
    try:
        drain.stop_listening()
        assert len(port.accepted) == 3  # none of them reset
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(address, timeout=5)
        assert drain.factories == [port.factory]
    finally:
        for sock in waiting + port.accepted:
            sock.close()
        if listener.fileno() != -1:
            listener.detach()  # its descriptor was closed by the drain


class Request:
    """Daphne's WebRequest: in reply_protocols until its response is written."""


def test_an_http_request_in_flight_is_answered_before_the_drain_ends(clock):
    request = Request()
    drain, reactor = drain_of(clock, request)
    finished = started(drain)
    reactor.run_for(2)
    assert finished == []
    drain.factories[0].reply_protocols.clear()  # the worker's response went out
    reactor.run_for(TICK * 2)
    assert finished == [None]
