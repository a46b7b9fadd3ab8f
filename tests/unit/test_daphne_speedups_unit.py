"""channels_kit.daphne_speedups: the same behaviour with less CPU, and the pinned code it relies on.

The shape tests read the pinned autobahn source: when an upgrade moves the
code a patch was written against, they fail, and the patch is looked at again.
"""
import ast
import contextlib
import inspect
import pprint
import re
import textwrap

import pytest
import txaio

txaio.use_twisted()

from autobahn.twisted.websocket import WebSocketServerFactory, WebSocketServerProtocol  # noqa: E402
from autobahn.websocket import protocol as autobahn_protocol  # noqa: E402
from twisted.internet.testing import StringTransport  # noqa: E402
from twisted.logger import formatEvent, globalLogPublisher  # noqa: E402

from channels_kit.daphne import speedups as daphne_speedups  # noqa: E402


def enclosing_names(tree):
    """Map each node to the dotted names of the classes / functions around it."""
    where = {}

    def visit(node, names):
        for child in ast.iter_child_nodes(node):
            inner = names
            if isinstance(child, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                inner = names + (child.name,)
            where[child] = inner
            visit(child, inner)

    visit(tree, ())
    return where


def is_log_call(node):
    """``self.log.<level>(...)``."""
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Attribute) and node.func.value.attr == "log"
            and isinstance(node.func.value.value, ast.Name) and node.func.value.value.id == "self")


def pformat_uses(module):
    """Every use of the name ``pformat`` in ``module``: (enclosing names, a log argument?)."""
    tree = ast.parse(inspect.getsource(module))
    where = enclosing_names(tree)
    logged = set()
    for node in ast.walk(tree):
        if is_log_call(node):
            for keyword in node.keywords:
                logged.add(keyword.value)
    uses = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and node.func.id == "pformat":
            uses.append((".".join(where[node]), node in logged))
    return sorted(uses)


def test_autobahn_calls_pformat_only_where_the_patch_expects():
    # Two debug-log arguments (safe to defer) and Timings.__str__ (patched to
    # call pprint itself). Any other use would get a deferred object where it
    # wanted a string: this fails first.
    assert pformat_uses(autobahn_protocol) == [
        ("Timings.__str__", False),
        ("WebSocketClientProtocol.startHandshake", True),
        ("WebSocketProtocol._connectionMade", True),
    ]


@pytest.fixture
def patched():
    saved = autobahn_protocol.pformat, autobahn_protocol.Timings.__str__
    daphne_speedups.defer_autobahn_config_dump()
    yield
    autobahn_protocol.pformat, autobahn_protocol.Timings.__str__ = saved


@pytest.fixture
def pretty_printing(monkeypatch):
    """Count pprint's formatting, whichever module name it was imported under."""
    calls = []
    real = pprint.PrettyPrinter.pformat

    def counted(self, value):
        calls.append(value)
        return real(self, value)

    monkeypatch.setattr(pprint.PrettyPrinter, "pformat", counted)
    return calls


@pytest.fixture
def log_lines():
    """The formatted text of every log event, at the given txaio level."""
    events = []
    globalLogPublisher.addObserver(events.append)
    level = txaio.get_global_log_level()

    def read(at_level):
        txaio.set_global_log_level(at_level)
        return events

    yield read
    txaio.set_global_log_level(level)
    globalLogPublisher.removeObserver(events.append)


UPGRADE = (b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")


# A masked text frame from a client: "hi".
HI = b"\x81\x82abcd" + bytes([ord("h") ^ 97, ord("i") ^ 98])


def connect_a_server_protocol():
    factory = WebSocketServerFactory()
    factory.protocol = WebSocketServerProtocol
    protocol = factory.buildProtocol(None)
    protocol.makeConnection(StringTransport())
    return protocol


def open_echo_server():
    """An autobahn server protocol past its opening handshake, echoing every message."""
    server = connect_a_server_protocol()
    server.onMessage = server.sendMessage
    server.dataReceived(UPGRADE)
    return server


def test_a_connection_no_longer_pretty_prints_the_configuration(patched, pretty_printing,
                                                                  log_lines):
    log_lines("info")  # daphne's level
    connect_a_server_protocol()
    assert pretty_printing == []


def test_the_debug_line_when_written_is_the_same_text(patched, pretty_printing, log_lines):
    events = log_lines("debug")
    protocol = connect_a_server_protocol()
    expected = "\n" + pprint.pformat([(name, getattr(protocol, name), "WebSocketServerFactory")
                                      for name in protocol.CONFIG_ATTRS])
    assert expected in [formatEvent(event) for event in events]
    assert "('utf8validateIncoming', True, 'WebSocketServerFactory')" in expected


def test_timings_still_print_as_text(patched):
    timings = autobahn_protocol.Timings()
    timings.track("onOpen")
    assert str(timings) == pprint.pformat(timings._timings)
    assert "onOpen" in str(timings)


def test_a_deferred_argument_formats_as_the_string_would():
    value = {"b": [1, 2], "a": "x"}
    deferred = daphne_speedups.pformat_when_read(value)
    text = pprint.pformat(value)
    assert (str(deferred), repr(deferred), "{}".format(deferred), "{:>40}".format(deferred)) == (
        text, repr(text), text, "{:>40}".format(text))


def names_used_outside_log_arguments(module, names):
    """Calls of ``names`` in ``module`` that are not the whole value of a ``self.log.x(k=...)``."""
    tree = ast.parse(inspect.getsource(module))
    logged = {id(keyword.value) for node in ast.walk(tree) if is_log_call(node)
              for keyword in node.keywords}
    return [ast.unparse(node) for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id in names and id(node) not in logged]


def test_autobahn_uses_hltype_and_hlval_only_as_log_arguments():
    from autobahn.twisted import websocket

    for module in (autobahn_protocol, websocket):
        assert names_used_outside_log_arguments(module, {"hltype", "hlval"}) == [], module
    # and the check would see one that is not
    assert names_used_outside_log_arguments(daphne_speedups, {"FormattedWhenRead"}) != []


@contextlib.contextmanager
def frame_log_arguments_deferred():
    """``defer_autobahn_frame_log_arguments`` for the block, undone after it."""
    from autobahn.twisted import websocket

    saved = [(module, module.hltype, module.hlval) for module in (autobahn_protocol, websocket)]
    daphne_speedups.defer_autobahn_frame_log_arguments()
    try:
        yield
    finally:
        for module, hltype, hlval in saved:
            module.hltype, module.hlval = hltype, hlval


def test_frame_debug_lines_read_the_same(log_lines):
    """The debug lines of a connection and an echo, written with and without the patch."""
    def one_connection():
        events = log_lines("debug")
        del events[:]
        open_echo_server().dataReceived(HI)
        # The configuration dump names a per-factory lambda by its address.
        return [re.sub(r" at 0x[0-9a-f]+>", ">", formatEvent(event)) for event in events]

    before = one_connection()
    with frame_log_arguments_deferred():
        after = one_connection()
    assert any("WebSocketAdapterProtocol.dataReceived" in line for line in after)
    assert any("sent 4 bytes" in line for line in after)
    assert after == before


def test_no_method_is_named_for_an_unwritten_frame_line(log_lines, monkeypatch):
    from autobahn import util

    named = []
    real = util._qn
    monkeypatch.setattr(util, "_qn", lambda obj: named.append(obj) or real(obj))
    log_lines("info")
    with frame_log_arguments_deferred():
        server = open_echo_server()
        del named[:]
        server.dataReceived(HI)
    assert named == []


# -- WebSocket frames written at once ------------------------------------------------------

class Reactor:
    """Enough of a reactor for one TCP transport: records (un)registering for writes."""

    def __init__(self):
        self.writers = set()
        self.registrations = 0

    def addWriter(self, descriptor):
        self.writers.add(descriptor)
        self.registrations += 1

    def removeWriter(self, descriptor):
        self.writers.discard(descriptor)

    def addReader(self, descriptor):
        pass

    def removeReader(self, descriptor):
        pass


@pytest.fixture
def tcp_pair():
    """A connected Twisted TCP transport (reactor faked) and the plain socket at its far end."""
    import socket

    from twisted.internet import tcp

    near, far = socket.socketpair()
    reactor = Reactor()
    transport = tcp.Connection(near, protocol=None, reactor=reactor)
    transport.connected = True
    far.settimeout(5)
    yield transport, far, reactor
    near.close()
    far.close()


def read_exactly(sock, size):
    data = b""
    while len(data) < size:
        data += sock.recv(size - len(data))
    return data


def flush(transport, far, expected_size):
    """Let the reactor write what Twisted buffered, reading the far end meanwhile."""
    received = b""
    while transport.reactor.writers:
        assert transport.doWrite() is None
        received += far.recv(1 << 20)
    return received + read_exactly(far, expected_size - len(received))


def test_a_frame_goes_out_without_registering_for_writes(tcp_pair):
    transport, far, reactor = tcp_pair
    daphne_speedups.write_now(transport, b"\x81\x05hello")
    assert read_exactly(far, 7) == b"\x81\x05hello"
    assert reactor.registrations == 0
    assert (transport.dataBuffer, transport._tempDataLen) == (b"", 0)


def test_what_the_kernel_does_not_take_is_buffered_in_order(tcp_pair):
    transport, far, reactor = tcp_pair
    big = bytes(range(256)) * 40000  # 10 MB: more than the socket buffers hold
    daphne_speedups.write_now(transport, big)
    assert reactor.registrations == 1  # the rest waits for the reactor, as in Twisted
    daphne_speedups.write_now(transport, b"after")  # queued behind, not sent past it
    assert flush(transport, far, len(big) + 5) == big + b"after"


def test_a_lost_connection_is_left_for_twisted_to_report(tcp_pair):
    transport, far, reactor = tcp_pair
    far.close()
    daphne_speedups.write_now(transport, b"late")
    assert reactor.registrations == 1
    # The reactor's write attempt reports the loss, as it would have without the patch.
    from twisted.internet import error
    assert isinstance(transport.doWrite(), error.ConnectionLost)


def test_a_closing_transport_keeps_twisteds_write(tcp_pair):
    transport, far, reactor = tcp_pair
    transport.disconnecting = True
    daphne_speedups.write_now(transport, b"bye")
    assert transport._tempDataBuffer == [b"bye"] and reactor.registrations == 1


def test_daphnes_websocket_protocols_get_it_and_only_on_tcp(tcp_pair):
    from daphne.ws_protocol import WebSocketProtocol

    from twisted.internet import tcp

    saved = WebSocketProtocol.__dict__.get("connectionMade")
    daphne_speedups.write_websocket_frames_now()
    try:
        transport, far, _ = tcp_pair
        daphne_speedups._writes_now(transport)
        transport.write(b"\x81\x02hi")
        assert read_exactly(far, 4) == b"\x81\x02hi"
        assert isinstance(transport, tcp.Connection) and transport.write.__func__ is \
            daphne_speedups.write_now
        in_memory = StringTransport()
        daphne_speedups._writes_now(in_memory)
        assert type(in_memory) is StringTransport
        assert WebSocketProtocol.connectionMade.__name__ == "connectionMade"
    finally:
        if saved is None:
            del WebSocketProtocol.connectionMade
        else:
            WebSocketProtocol.connectionMade = saved


def test_the_twisted_and_daphne_code_write_now_relies_on():
    import daphne.ws_protocol
    from autobahn.twisted.websocket import WebSocketAdapterProtocol
    from twisted.internet import abstract, tcp

    # daphne's protocol takes connectionMade from autobahn's adapter (the one wrapped).
    daphne_tree = ast.parse(inspect.getsource(daphne.ws_protocol))
    defined = {node.name for node in ast.walk(daphne_tree) if isinstance(node, ast.FunctionDef)}
    assert "connectionMade" not in defined
    assert "connectionMade" in vars(WebSocketAdapterProtocol)
    # The buffer and state write_now reads, and Twisted's write still only buffers.
    fresh = abstract.FileDescriptor(reactor=Reactor())
    for name in ("dataBuffer", "_tempDataLen", "_tempDataBuffer", "disconnecting",
                 "_writeDisconnected", "connected"):
        assert hasattr(fresh, name), name
    assert tcp.Connection.TLS is False
    write_source = inspect.getsource(abstract.FileDescriptor.write)
    assert "writeSomeData" not in write_source and "startWriting" in write_source


# -- small frames unmasked in Python -------------------------------------------------------

def test_small_frames_unmask_as_autobahns_masker_does():
    import os
    import random

    from autobahn.websocket.xormasker import create_xor_masker as autobahns

    draw = random.Random(1)
    for length in list(range(0, 40)) + [125, 126, 127, 128, 1000, daphne_speedups.SMALL_FRAME - 1]:
        mask, payload = os.urandom(4), os.urandom(length)
        expected = autobahns(mask, length).process(payload) if length else b""
        masker = daphne_speedups.SmallFrameMasker(mask)
        pieces, at = [], 0
        while at < length:  # the payload arriving in pieces, as TCP may deliver it
            step = draw.randint(1, 9)
            pieces.append(masker.process(payload[at:at + step]))
            at += step
            assert masker.pointer() == min(at, length)
        assert b"".join(pieces) == expected
        assert masker.process(b"") == b""


def test_autobahn_unmasks_incoming_frames_through_the_patched_factory():
    from autobahn.websocket import protocol

    saved = protocol.create_xor_masker
    daphne_speedups.unmask_small_frames_in_python()
    try:
        assert type(protocol.create_xor_masker(b"abcd", 20)).__name__ == "SmallFrameMasker"
        native = protocol.create_xor_masker(b"abcd", daphne_speedups.SMALL_FRAME)
        assert type(native).__name__ != "SmallFrameMasker"
        daphne_speedups.unmask_small_frames_in_python()  # twice: still one wrapper deep
        assert protocol.create_xor_masker.native is saved
    finally:
        protocol.create_xor_masker = saved
    # The one call that unmasks what a client sends: a frame's mask and its length.
    tree = ast.parse(textwrap.dedent(inspect.getsource(protocol.WebSocketProtocol.processData)))
    calls = [ast.unparse(node) for node in ast.walk(tree) if isinstance(node, ast.Call)
             and isinstance(node.func, ast.Name) and node.func.id == "create_xor_masker"]
    assert calls == ["create_xor_masker(frame_mask, frame_payload_len)"]


def test_a_masked_echo_frame_reaches_daphne_unmasked():
    """A whole client frame through autobahn's parser, with the patch: the text comes out."""
    import struct

    from autobahn.websocket import protocol

    saved = protocol.create_xor_masker
    daphne_speedups.unmask_small_frames_in_python()
    try:
        received = []
        factory = WebSocketServerFactory()
        factory.protocol = WebSocketServerProtocol
        server = factory.buildProtocol(None)
        server.onMessage = lambda payload, binary: received.append(payload)
        transport = StringTransport()
        server.makeConnection(transport)
        server.dataReceived(b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                            b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                            b"Sec-WebSocket-Version: 13\r\n\r\n")
        text, mask = "héllo, echo".encode("utf8"), b"\x01\x02\x03\x04"
        masked = bytes(byte ^ mask[i % 4] for i, byte in enumerate(text))
        server.dataReceived(struct.pack("!BB", 0x81, 0x80 | len(text)) + mask + masked)
        assert received == [text]
    finally:
        protocol.create_xor_masker = saved


def test_the_installed_versions_are_the_ones_the_patches_were_read_against():
    """A pin bump fails here first: read the patched code again, then move CHECKED_AGAINST."""
    from importlib.metadata import version

    assert {name: version(name) for name in daphne_speedups.CHECKED_AGAINST} == \
        daphne_speedups.CHECKED_AGAINST
