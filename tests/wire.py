"""Small helpers for reading what a real WebSocket client sees."""
import json

import websocket


def recv_json(sock):
    return json.loads(sock.recv())


def recv_close(sock):
    """Read until the server's close frame; return its (code, reason)."""
    while True:
        opcode, frame = sock.recv_data_frame(control_frame=True)
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            data = frame.data
            code = int.from_bytes(data[:2], "big") if len(data) >= 2 else None
            return code, data[2:].decode("utf-8", "replace")
