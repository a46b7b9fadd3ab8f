"""Daphne 1.4's WebSocket protocol objects, as the layer wrapper in daphne needs them.

Daphne hands its channel layer messages, never sockets: the layer cannot
stop reading a socket that sends too fast, nor write to a socket while Redis
(the only way back to it) is down. Both need the socket's
``WebSocketProtocol``. Daphne keeps those in its factory's
``reply_protocols``, but gives the layer no handle on the factory; the one
moment the layer meets a protocol is the ``websocket.connect`` send, which
the protocol makes itself from ``onConnect``. ``calling_protocol`` picks it up
there, once per socket.
"""
import sys


def calling_protocol(reply_channel, depth=10):
    """The daphne protocol up the call stack that is sending for ``reply_channel``, or None."""
    frame = sys._getframe(1)
    for _ in range(depth):
        if frame is None:
            return None
        candidate = frame.f_locals.get("self")
        if getattr(candidate, "reply_channel", None) == reply_channel \
                and hasattr(candidate, "transport"):
            return candidate
        frame = frame.f_back
    return None


def pause_reading(protocol):
    """Stop reading the socket: the kernel's buffers fill and TCP slows the sender down."""
    if protocol is not None and protocol.transport is not None:
        protocol.transport.pauseProducing()


def closing(protocol):
    """The socket has left the open state: a close frame went out or came in.

    A frame read now was sent after the close began; the app has finished
    with the socket (a fatal error's close code stands), so it is not passed on.
    """
    return protocol is not None and protocol.state != protocol.STATE_OPEN


def resume_reading(protocol):
    if protocol is not None and protocol.transport is not None:
        protocol.transport.resumeProducing()


def close_with(protocol, error):
    """Write ``error``'s JSON frame and close code straight to the socket, without Redis.

    autobahn's ``sendClose`` only allows 1000 and 3000-4999; 1012 (service
    restart) and 1013 (try again later) go out as daphne sends its own 1013,
    through ``sendCloseFrame``. The protocol is not muted, so daphne still
    reports the disconnect to the workers.
    """
    if protocol is None or protocol.state != protocol.STATE_OPEN:
        return False
    reply = error.reply()
    send_text(protocol, reply["text"])
    close_code(protocol, reply["close"])
    return True


def send_text(protocol, text):
    """Write a text frame straight to an open socket."""
    protocol.sendMessage(text.encode("utf8"), False)


def close_code(protocol, code):
    """Start the close handshake with ``code``, any code the RFC allows a server (1012 too)."""
    protocol.sendCloseFrame(code=code, isReply=False)
