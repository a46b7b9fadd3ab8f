"""CPU per echo frame in autobahn's server protocol, in this process: with and without the kit's patches.

The whole-split bench cannot resolve a few microseconds per frame on a
shared machine; this drives autobahn 25.10.2's ``WebSocketServerProtocol``
(what daphne's protocol is built on) over Twisted's in-memory transport:
one opening handshake, then N masked 49-byte text frames, each echoed back
with ``sendMessage`` from ``onMessage``. It times parsing, unmasking,
UTF-8 validation, framing the reply and autobahn's per-frame debug
arguments; no sockets, no Redis, no daphne.

Variants, interleaved round by round (medians of process CPU per frame):

- ``stock``: autobahn as installed;
- ``masker``: ``daphne_speedups.unmask_small_frames_in_python`` (item 17);
- ``masker+log``: that and ``defer_autobahn_frame_log_arguments`` (item 18).

Run from the repo root: ``.venv/bin/python -m bench.autobahn_frames [N] [ROUNDS]``.
"""
import os
import statistics
import struct
import sys
import time

import txaio

txaio.use_twisted()

from autobahn import util  # noqa: E402
from autobahn.twisted import websocket  # noqa: E402
from autobahn.twisted.websocket import WebSocketServerFactory, WebSocketServerProtocol  # noqa: E402
from autobahn.websocket import protocol  # noqa: E402
from twisted.internet.testing import StringTransport  # noqa: E402

from channels_kit.daphne import speedups as daphne_speedups  # noqa: E402

UPGRADE = (b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
TEXT = b'{"text": "hello from client 12 round 34", "n": 1}'


def masked_frames(count):
    frames = []
    for _ in range(count):
        mask = os.urandom(4)
        payload = bytes(byte ^ mask[i % 4] for i, byte in enumerate(TEXT))
        frames.append(struct.pack("!BB", 0x81, 0x80 | len(TEXT)) + mask + payload)
    return frames


def echo_server():
    factory = WebSocketServerFactory()
    factory.protocol = WebSocketServerProtocol
    server = factory.buildProtocol(None)
    server.onMessage = server.sendMessage
    transport = StringTransport()
    server.makeConnection(transport)
    server.dataReceived(UPGRADE)
    transport.clear()
    return server, transport


def microseconds_per_frame(frames):
    server, transport = echo_server()
    started = time.process_time()
    for frame in frames:
        server.dataReceived(frame)
        transport.clear()
    return (time.process_time() - started) / len(frames) * 1e6


def stock(saved):
    protocol.create_xor_masker = saved["masker"]
    for module in (protocol, websocket):
        module.hltype, module.hlval = saved["hltype"], saved["hlval"]


def main(argv):
    count = int(argv[0]) if argv else 2000
    rounds = int(argv[1]) if len(argv) > 1 else 15
    saved = {"masker": protocol.create_xor_masker, "hltype": util.hltype, "hlval": util.hlval}
    variants = {
        "stock": lambda: stock(saved),
        "masker": lambda: (stock(saved), daphne_speedups.unmask_small_frames_in_python()),
        "masker+log": lambda: (stock(saved), daphne_speedups.unmask_small_frames_in_python(),
                               daphne_speedups.defer_autobahn_frame_log_arguments()),
    }
    frames = masked_frames(count)
    times = {name: [] for name in variants}
    for _ in range(rounds):
        for name, switch in variants.items():
            switch()
            times[name].append(microseconds_per_frame(frames))
    stock(saved)
    print("%d frames of %d bytes, %d interleaved rounds: CPU microseconds per echo frame"
          % (count, len(TEXT), rounds))
    for name, values in times.items():
        print("  %-11s median %.2f  min %.2f" % (name, statistics.median(values), min(values)))


if __name__ == "__main__":
    main(sys.argv[1:])
