"""Per-handshake and per-frame work in daphne's stack removed, the bytes on the wire unchanged.

Daphne 1.4, autobahn and Twisted are pinned (requirements.txt), so these are
patches the kit applies to their classes in daphne's process: ``apply()``,
called from the project's ``asgi.py``, which daphne imports before it serves
anything. Each patch names what it replaces and the pinned version it was
checked against; ``tests/unit/test_daphne_speedups_unit.py`` fails when that code
changes shape, so a version bump is looked at again rather than patched
blindly. ``apply()`` is idempotent.

What they save is measured in docs/performance.md ("What was slow, and what
changed", items 15-18): the same bytes go out and come in, with less CPU in
daphne (``write_now`` may cut them into TCP segments differently).
"""
import functools
import pprint

from twisted.internet import tcp  # the classes only: importing it installs no reactor

# The pinned versions the patches were read against.
CHECKED_AGAINST = {"autobahn": "25.10.2", "Twisted": "26.10.0", "daphne": "1.4.2"}

_applied = False


class FormattedWhenRead:
    """A log argument that is rendered only if a log line is actually written.

    autobahn passes ``pformat(...)`` of a value to ``self.log.debug(...)``;
    Python evaluates it first, and txaio then drops the line because debug is
    off. This object stands in for the string: the log formatter asks for it
    with ``format()`` (or ``str()`` / ``repr()``), and only then is it built,
    from the same call, so a written line is the same text as before.
    """

    __slots__ = ("_render", "_value")

    def __init__(self, render, value):
        self._render = render
        self._value = value

    def __str__(self):
        return self._render(self._value)

    def __format__(self, spec):
        return format(self._render(self._value), spec)

    def __repr__(self):
        return repr(self._render(self._value))


def pformat_when_read(value):
    """``pprint.pformat(value)``, deferred until a log line asks for it."""
    return FormattedWhenRead(pprint.pformat, value)


def _timings_as_text(timings):
    """``Timings.__str__`` with the real ``pprint.pformat`` (``str()`` must return a str)."""
    return pprint.pformat(timings._timings)


def defer_autobahn_config_dump():
    """Stop autobahn from pretty-printing its configuration on every connection.

    Replaces: ``autobahn.websocket.protocol.WebSocketProtocol._connectionMade``
    (autobahn 25.10.2) builds a list of all 29 ``CONFIG_ATTRS`` of the protocol
    and passes ``pformat`` of it to ``self.log.debug``, which daphne never
    writes (txaio's level is info): a large share of daphne's CPU per
    handshake (docs/performance.md, item 15). The module's other ``pformat``
    call under ``log.debug`` (``startHandshake``, client side) is deferred the
    same way; the one place that needs a real string, ``Timings.__str__``,
    calls ``pprint.pformat`` itself.
    """
    from autobahn.websocket import protocol

    protocol.pformat = pformat_when_read
    protocol.Timings.__str__ = _timings_as_text


def defer_autobahn_frame_log_arguments():
    """Stop autobahn from naming and colouring its methods for debug lines on every frame.

    Replaces: ``hltype`` and ``hlval`` (``autobahn.util``) as
    ``autobahn.websocket.protocol`` and ``autobahn.twisted.websocket`` import
    them (autobahn 25.10.2). ``WebSocketAdapterProtocol.dataReceived`` and
    ``WebSocketProtocol.sendData`` each pass ``func=hltype(<method>)``,
    ``peer=hlval(...)`` and ``data_len=hlval(...)`` to ``self.log.debug``, so
    every echo pays for two qualified method names (``inspect`` checks and
    string formatting) and four more formatted values that are never
    written (what that costs per frame: docs/performance.md, item 18, measured
    in-process by ``bench.autobahn_frames``). Those names are only ever used as
    log arguments in the two modules (a test reads them to make sure), so
    they become ``FormattedWhenRead``: a debug line, when one is written,
    reads the same.
    """
    from autobahn import util
    from autobahn.twisted import websocket
    from autobahn.websocket import protocol

    def hltype_when_read(obj, hltype=util.hltype):
        return FormattedWhenRead(hltype, obj)

    def hlval_when_read(value, hlval=util.hlval, **style):
        return FormattedWhenRead(functools.partial(hlval, **style) if style else hlval, value)

    for module in (protocol, websocket):
        module.hltype = hltype_when_read
        module.hlval = hlval_when_read


def write_now(transport, data):
    """Write ``data`` to the socket at once when nothing is waiting to go out before it.

    Twisted's ``FileDescriptor.write`` only appends to a buffer and registers
    the socket for writing (``epoll_ctl``); the reactor's next pass sees it
    writable, ``send``s, and unregisters it (``epoll_ctl`` again). For a
    WebSocket reply, one frame per message, that is two system calls, a poll
    event and its dispatch in Python around every ``send``. When the buffer
    is empty, a ``send`` now is the same bytes in the same order, only
    sooner. Whatever the kernel does not take (a partial send, EWOULDBLOCK, an
    error) goes to Twisted's own ``write`` exactly as before, so buffering,
    producers, closing and reporting a lost connection stay Twisted's.
    """
    if (transport.TLS or not transport.connected or transport.disconnecting
            or transport._writeDisconnected or transport._tempDataLen or transport.dataBuffer
            or type(data) is not bytes or not data):
        return tcp.Connection.write(transport, data)
    sent = transport.writeSomeData(data)
    if type(sent) is int and sent > 0:
        if sent == len(data):
            return None
        data = data[sent:]
    # Not taken (or the connection is gone): Twisted buffers it and finds out.
    return tcp.Connection.write(transport, data)


# One subclass per TCP transport class, whose only difference is ``write``.
_WRITING_NOW = {}


def _writes_now(transport):
    """Give one WebSocket's TCP transport ``write_now``; other transports are left alone.

    The transport's class is swapped for a subclass that writes at once
    (same attributes, isinstance still true): an instance attribute would
    need a closure over the transport, a reference cycle per connection for
    the garbage collector to find.
    """
    cls = type(transport)
    if not isinstance(transport, tcp.Connection) or cls.write is not tcp.Connection.write:
        return  # not Twisted's TCP write (TLS wrappers, test transports, already done)
    writing_now = _WRITING_NOW.get(cls)
    if writing_now is None:
        writing_now = _WRITING_NOW[cls] = type(cls.__name__, (cls,), {
            "write": write_now, "__module__": cls.__module__,
            "__doc__": "%s whose write sends at once when nothing is buffered "
                       "(channels_kit.daphne_speedups)." % cls.__qualname__})
    transport.__class__ = writing_now


def write_websocket_frames_now():
    """Send daphne's WebSocket frames without a reactor pass in between.

    Replaces: nothing in daphne or autobahn; it changes what ``self.transport
    .write`` does for the TCP connection under a
    ``daphne.ws_protocol.WebSocketProtocol`` (Twisted 26.10.0's
    ``tcp.Server``, inherited ``_newtls.ConnectionMixin.write`` /
    ``abstract.FileDescriptor.write``), set up in the protocol's
    ``connectionMade`` (inherited from autobahn 25.10.2's
    ``WebSocketAdapterProtocol``). HTTP responses and daphne's Redis
    connections keep Twisted's buffered write: they write several pieces
    per reactor pass, which one ``send`` then carries.
    """
    from daphne.ws_protocol import WebSocketProtocol

    inherited = WebSocketProtocol.connectionMade

    def connectionMade(self):
        _writes_now(self.transport)
        return inherited(self)

    connectionMade.__doc__ = "%s, then the transport writes frames at once (daphne_speedups)." % (
        inherited.__qualname__)
    WebSocketProtocol.connectionMade = connectionMade


# Below this many payload bytes, unmasking with Python's big integers is
# faster than autobahn's native masker (whose set-up alone is several
# microseconds); above it the native masker's SIMD loop wins.
SMALL_FRAME = 1024


class SmallFrameMasker:
    """Unmasks one frame's payload: the WebSocket XOR with the frame's 4-byte mask.

    Same interface as autobahn's maskers (``process`` may be called with the
    payload in pieces; ``pointer`` is how many bytes were unmasked so far).
    The payload and the mask repeated to its length are read as two
    integers and XORed: a handful of C calls, where autobahn's native masker
    (``autobahn.nvx._xormasker.XorMaskerNvx``) imports its module, allocates
    and frees a C masker and copies the payload twice per frame.
    """

    __slots__ = ("_mask", "_ptr")

    def __init__(self, mask):
        self._mask = bytes(mask)
        self._ptr = 0

    def pointer(self):
        return self._ptr

    def reset(self):
        self._ptr = 0

    def process(self, data):
        length = len(data)
        offset = self._ptr & 3
        mask = self._mask[offset:] + self._mask[:offset] if offset else self._mask
        self._ptr += length
        key = (mask * ((length >> 2) + 1))[:length]
        return (int.from_bytes(data, "little") ^ int.from_bytes(key, "little")).to_bytes(
            length, "little")


def unmask_small_frames_in_python():
    """Unmask the small frames browsers send with ``SmallFrameMasker``.

    Replaces: ``autobahn.websocket.protocol.create_xor_masker`` (autobahn
    25.10.2 imports it by name from ``autobahn.websocket.xormasker``, which
    takes it from ``autobahn.nvx._xormasker`` when the native extension is
    built, as it is in the pinned wheel). ``processData`` calls it once per
    incoming masked frame with the payload's length; frames under
    ``SMALL_FRAME`` bytes now get ``SmallFrameMasker``, longer ones (and a
    call without a length) autobahn's own.
    """
    from autobahn.websocket import protocol

    native = getattr(protocol.create_xor_masker, "native", protocol.create_xor_masker)

    def create_xor_masker(mask, length=None):
        if length is not None and length < SMALL_FRAME:
            return SmallFrameMasker(mask)
        return native(mask, length)

    create_xor_masker.native = native
    protocol.create_xor_masker = create_xor_masker


def apply():
    """Apply every patch here once (daphne's process only: ``asgi.py`` calls it)."""
    global _applied
    if _applied:
        return
    defer_autobahn_config_dump()
    defer_autobahn_frame_log_arguments()
    write_websocket_frames_now()
    unmask_small_frames_in_python()
    _applied = True
