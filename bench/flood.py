"""Flood measurement: how long a bystander waits while one client floods a room.

One client pushes FRAMES chat frames into ``/chat/flood/`` as fast as it can;
then a new client connects to ``/chat/calm/`` and sends one message. The
script prints how long the bystander needed to connect and to get its own
message back, and how the flooder's socket ended. Run from the repo root:

    .venv/bin/python -m bench.flood [FRAMES]

It starts its own split (redis + daphne + 2 workers) on free ports.
"""
import json
import os
import sys
import tempfile
import time

import websocket

from channels_kit.testing.split import Split


def flood(split, frames):
    flooder = websocket.create_connection(split.ws_url + "/chat/flood/", origin=split.url, timeout=10)
    started = time.monotonic()
    sent = 0
    try:
        for i in range(frames):
            flooder.send(json.dumps({"text": "flood %d" % i}))
            sent += 1
    except (websocket.WebSocketException, OSError) as error:
        print("flooder stopped after %d frames: %r" % (sent, error))
    print("flooder pushed %d frames in %.2fs" % (sent, time.monotonic() - started))
    return flooder


def bystander(split):
    started = time.monotonic()
    sock = websocket.create_connection(split.ws_url + "/chat/calm/", origin=split.url, timeout=30)
    connected = time.monotonic() - started
    sock.send(json.dumps({"text": "hello"}))
    reply = json.loads(sock.recv())
    served = time.monotonic() - started
    sock.close()
    return connected, served, reply


def flooder_end(flooder):
    """Drain the flooder's socket until it closes; return the close code (None if still open)."""
    flooder.settimeout(15)
    try:
        while True:
            opcode, frame = flooder.recv_data_frame(control_frame=True)
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                return int.from_bytes(frame.data[:2], "big") if len(frame.data) >= 2 else None
    except websocket.WebSocketTimeoutException:
        return "still open"
    except (websocket.WebSocketException, OSError) as error:
        return repr(error)


def main():
    frames = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    with tempfile.TemporaryDirectory() as tmp:
        env = {"DATABASE_PATH": os.path.join(tmp, "db.sqlite3")}
        with Split(workers=2, log_dir=os.path.join(tmp, "logs"), env=env) as split:
            flooder = flood(split, frames)
            connected, served, reply = bystander(split)
            print("bystander connected after %.2fs, own message back after %.2fs (%s)"
                  % (connected, served, reply.get("text") or reply))
            print("flooder ended with: %s" % (flooder_end(flooder),))


if __name__ == "__main__":
    main()
